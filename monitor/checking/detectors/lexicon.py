"""The lexicon detector: match every form of every entry, drop what context makes compliant, and
turn the rest into hits. Pure over a normalised text; compiled once, safe from many threads.
Registered first (checking/detectors/registry.py): the detectors after it read its findings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.checking.detectors.context_schema import ContextFile
from monitor.checking.detectors.interface import CheckContext, DetectorSetup, in_text_order
from monitor.checking.detectors.lexicon_context import ContextJudge, written_disguise
from monitor.checking.detectors.scope import Scopes
from monitor.lexicon.entries import Entry, Lexicon
from monitor.lexicon.matcher import Candidate, LexiconMatcher
from monitor.lexicon.pinyin_stream import PinyinStreamMatcher
from monitor.lexicon.profiles import Profile
from monitor.lexicon.scoring import ScoringRules
from monitor.report import Hit
from monitor.text.normalization import NormalizedText, Normalizer
from monitor.text.utterances import TextSegments
from monitor.yaml_files import read_validated, read_yaml

# Reasons that say the words are there but the context makes them no claim; a missing required
# context ("原价" without a second price) clears nothing.
# A match that cuts a word ("word") clears nothing either: the term is simply not there.
CLEARING_REASONS = frozenset({"whitelist", "exception", "product_class", "negated"})


@dataclass(frozen=True)
class LexiconFindings:
    hits: list[Hit]
    cleared: tuple[tuple[int, int, str], ...]  # normalised [start, end) and category
    innocent: tuple[tuple[int, int], ...]  # normalised spans of global whitelist phrases
    scopes: Scopes = field(
        default_factory=lambda: Scopes(())
    )  # denied, rejected or advice stretches: no claim is made there
    segments: TextSegments | None = None  # clauses and sentences of the normalised text


class LexiconDetector:
    """A compiled lexicon with its context rules."""

    name = "lexicon"

    def __init__(
        self,
        lexicon: Lexicon,
        normalizer: Normalizer,
        context_rules: dict,
        scoring: ScoringRules,
        generated: dict,
    ):
        self.lexicon = lexicon
        self._normalizer = normalizer
        self._scoring = scoring
        self._entries: tuple[Entry, ...] = lexicon.entries
        normalize = self.normalize_term
        self._terms = [normalize(e.term) for e in self._entries]
        homophone = context_rules.get("homophone") or {}
        self._matcher = LexiconMatcher(
            self._entries, normalize, generated, float(homophone.get("min_same_ratio", 0.34))
        )
        self._pinyin = PinyinStreamMatcher(
            self._entries, normalize, int((generated.get("pinyin") or {}).get("min_term_length", 2))
        )
        self._patterns = tuple(
            (i, re.compile(e.pattern)) for i, e in enumerate(self._entries) if e.pattern
        )
        self._judge = ContextJudge(
            self._entries, lexicon.whitelist, self._terms, normalize, normalizer.boundaries,
            context_rules,
        )  # fmt: skip
        self.min_price_gap = self._judge.min_price_gap

    def normalize_term(self, term: str) -> str:
        return self._normalizer.normalize(term, restore=False).text

    @property
    def normalizer(self) -> Normalizer:
        return self._normalizer

    def detect(self, context: CheckContext, found: Sequence[Hit]) -> list[Hit]:
        """`found` and the lexicon's hits, in text order."""
        return in_text_order([*found, *self.findings(context).hits])

    def findings(self, context: CheckContext) -> LexiconFindings:
        """What the lexicon found in the context's text, worked out once per check."""
        return context.shared(
            self.name,
            lambda: self.find(
                context.normalized,
                context.profile,
                context.product_class,
                with_facts=context.facts is not None,
            ),
        )

    def find(
        self,
        normalized: NormalizedText,
        profile: Profile,
        product_class: str | None,
        with_facts: bool = False,
    ) -> LexiconFindings:
        """Lexicon hits in `normalized` (offsets into its original text), and the claims the rules
        cleared in context (normalised offsets), which the classifier must not report either."""
        norm = normalized.text
        segments = self._judge.segments(norm)
        covers = self._judge.covers(norm)
        cover_starts = [c.start for c in covers]
        scopes = self._judge.scopes(norm)
        kept: list[tuple[Candidate, Entry]] = []
        cleared: list[tuple[int, int, str]] = []
        seen: set[tuple[int, int, int]] = set()
        for candidate in (
            self._matcher.candidates(norm) + self._pinyin.candidates(norm) + self._spoken(norm)
        ):
            key = (candidate.entry, candidate.start, candidate.end)
            if key in seen:
                continue
            seen.add(key)
            entry = profile.select(self._entries[candidate.entry])
            if entry is None or not entry.applies(product_class):
                continue
            if entry.needs == "facts" and not with_facts:
                continue  # lawful when true: judged against the product's record, if any
            reason = self._judge.reason(
                candidate, entry, norm, segments, covers, cover_starts, scopes,
                written_disguise(normalized, candidate),
            )  # fmt: skip
            if reason in CLEARING_REASONS:
                cleared.append((candidate.start, candidate.end, entry.category))
            if reason is None:
                kept.append((candidate, entry))
        innocent = tuple((c.start, c.end) for c in covers if c.owner is None)
        hits = self._hits(normalized, _without_repeats(kept))
        return LexiconFindings(hits, tuple(cleared), innocent, scopes, segments)

    def negated(self, norm: str, segments: TextSegments, start: int, end: int) -> bool:
        """Whether words at [start, end) are negated or rejected (ContextJudge.negated)."""
        return self._judge.negated(norm, segments, start, end)

    def _spoken(self, norm: str) -> list[Candidate]:
        """Claims said in many words (一定有效果, 几分钟之后就不疼了): the pattern entries."""
        return [
            Candidate(index, m.start(), m.end(), "pattern")
            for index, pattern in self._patterns
            for m in pattern.finditer(norm)
            if m.end() > m.start()
        ]

    def _hits(self, normalized: NormalizedText, kept: list[tuple[Candidate, Entry]]) -> list[Hit]:
        hits = []
        for candidate, entry in kept:
            start, end = normalized.to_original(candidate.start, candidate.end)
            category = self.lexicon.categories[entry.category]
            kind = normalized.restored_kind(candidate.start, candidate.end) or candidate.kind
            score = self._scoring.match_scores.get(kind, 0.8)
            hits.append(
                Hit(
                    start=start,
                    end=end,
                    text=normalized.original[start:end],
                    normalized=normalized.text[candidate.start : candidate.end],
                    category=entry.category,
                    category_name=category.zh,
                    severity=entry.severity,
                    source="lexicon",
                    rule=entry.id,
                    score=score,
                    basis=entry.basis,
                    explanation=entry.explanation,
                    suggestion=entry.suggestion,
                    rewording=entry.rewording or None,
                    match=kind,
                    term=entry.term,
                    blocking=self._scoring.blocks(entry.severity, score),
                )
            )
        hits.sort(key=lambda h: (h.start, -h.end, h.category))
        return hits


def build(setup: DetectorSetup) -> LexiconDetector:
    """The lexicon detector over the setup's lexicon and its folder's context rules."""
    folder = setup.lexicon_folder
    return LexiconDetector(
        lexicon=setup.lexicon,
        normalizer=setup.normalizer,
        context_rules=read_validated(
            folder / "context.yaml", ContextFile, {"product_classes": setup.lexicon.product_classes}
        ).model_dump(exclude_none=True),
        scoring=setup.scoring,
        generated=read_yaml(folder / "normalization.yaml").get("generated") or {},
    )


def _without_repeats(kept: list[tuple[Candidate, Entry]]) -> list[tuple[Candidate, Entry]]:
    """One hit per entry and place; a hit inside a longer one is dropped when the longer one is of
    the same category or already cites its law (全网最 inside 全网最低价, which cites 第九条 too)."""
    kept = sorted(kept, key=lambda ce: (ce[0].start, -ce[0].end))
    result: list[tuple[Candidate, Entry]] = []
    for candidate, entry in kept:
        inside_longer = any(
            outer.start <= candidate.start
            and candidate.end <= outer.end
            and (outer.end - outer.start) >= (candidate.end - candidate.start)
            and (outer_entry.category == entry.category or entry.basis[0] in outer_entry.basis)
            for outer, outer_entry in result[-8:]  # only recent hits can still contain this one
            if (outer.start, outer.end, outer.entry)
            != (candidate.start, candidate.end, candidate.entry)
        )
        if not inside_longer:
            result.append((candidate, entry))
    return result
