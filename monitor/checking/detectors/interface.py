"""What every detector is: a `name` and `detect(context, found) -> list[Hit]`, over one
`CheckContext` the checker builds once per text (the text as given, its normalised form with
offsets, the utterances, the profile, the product class and its registered facts).

Detectors run in registration order (checking/detectors/registry.py); each returns the hits once it has looked:
those `found` before it, some confirmed or superseded, and its own, in text order. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from monitor.report import Hit

if TYPE_CHECKING:
    from monitor.checking.detectors.fact_rules import ProductFacts
    from monitor.lexicon.entries import Lexicon
    from monitor.lexicon.profiles import Profile
    from monitor.lexicon.scoring import ScoringRules
    from monitor.text.normalization import NormalizedText, Normalizer

T = TypeVar("T")


@dataclass(frozen=True)
class CheckContext:
    """One text under check, as every detector sees it."""

    text: str  # as given; hits carry offsets into it
    normalized: NormalizedText
    profile: Profile
    product_class: str | None  # given, or the profile's; None when unknown
    facts: ProductFacts | None  # the product's registered record, when the check knows it
    utterances: tuple[tuple[int, int], ...]  # normalised [start, end) of each utterance
    original_utterances: tuple[tuple[int, int], ...]  # the same, in the text as given
    utterance_scores: list[float] = field(default_factory=list)  # a model's top score each
    _shared: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """What one detector worked out for this text and a later one reuses (the lexicon's
        cleared claims for the classifier), computed once per check."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]  # type: ignore[return-value]


class Detector(Protocol):
    name: str

    def detect(self, context: CheckContext, found: Sequence[Hit]) -> list[Hit]:
        """The hits once this detector has looked: `found` (by the detectors before it), each kept,
        confirmed (a reason added) or superseded, and this detector's own, in text order."""
        ...


@dataclass(frozen=True)
class DetectorSetup:
    """What a detector is built from: the data folders and what the checker loaded from them."""

    lexicon_folder: Path
    model_folder: Path | None  # None: no trained model is wanted
    lexicon: Lexicon
    normalizer: Normalizer
    scoring: ScoringRules
    built: dict[str, Detector]  # the detectors registered before this one, by name


def in_text_order(hits: Iterable[Hit]) -> list[Hit]:
    """Hits by start, the longer first at one start, then by category (stable otherwise)."""
    return sorted(hits, key=lambda h: (h.start, -h.end, h.category))
