"""The schema of the context rules (lexicons/context.yaml) as pydantic models: negation cues and
gaps, the price gap that makes a price claim implausible, the word-boundary and homophone limits,
the cues that name a product class, and the scopes of reported, answered, rejecting and denied
claims (scope.ScopeRules). Every section may be left out; the detector then uses its default.

This module validates values; it reads no files and checks no text (see checking/detectors/lexicon.py,
negation.py, scope.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictFloat, StrictInt, ValidationInfo, field_validator

from monitor.checking.detectors.scope import ScopeRules
from monitor.data_schema import DataModel, Text
from monitor.model.policy_schema import known

_Gap = Annotated[StrictInt, Field(ge=0)]
_Cues = tuple[Text, ...]


class CueGroup(DataModel):
    """Negation cues that negate a term at most `max_gap` characters after them."""

    max_gap: _Gap
    cues: _Cues = Field(min_length=1)


class AfterCues(DataModel):
    """Cues after a term that take it back ("…这种话我们不说")."""

    max_gap: _Gap = 0
    cues: _Cues = ()


class Negation(DataModel):
    cue_groups: tuple[CueGroup, ...] = ()
    after_cues: AfterCues | None = None
    gap_breakers: _Cues = ()  # words that end a cue's reach ("但是")
    not_cues: _Cues = ()  # words that begin with a cue but negate nothing ("不错")


class PriceGap(DataModel):
    min_ratio: Annotated[StrictFloat | StrictInt, Field(gt=1)]


class WordBoundary(DataModel):
    """Short terms are matched only on jieba's word boundaries, seen in a window of context."""

    max_term_length: Annotated[StrictInt, Field(ge=1)]
    window: Annotated[StrictInt, Field(ge=1)]


class Homophone(DataModel):
    min_same_ratio: Annotated[StrictFloat | StrictInt, Field(ge=0, le=1)]


class ContextFile(DataModel):
    """lexicons/context.yaml key for key."""

    negation: Negation | None = None
    price_gap: PriceGap | None = None
    word_boundary: WordBoundary | None = None
    homophone: Homophone | None = None
    product_class_cues: dict[str, _Cues] = Field(default_factory=dict)
    scope: ScopeRules | None = None

    @field_validator("product_class_cues")
    @classmethod
    def _known_classes(cls, value: dict, info: ValidationInfo) -> dict:
        known(("商品类别", "product class"), "product_classes", value, info)
        return value
