"""The schema of the scoring rules (lexicons/scoring.yaml) as pydantic models: the score of each
kind of match, the weight of each severity, and when a hit blocks on its own.

This module validates values; it reads no files and scores nothing (see scoring.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt

from monitor.data_schema import DataModel
from monitor.vocabulary import SEVERITIES

_Fraction = Annotated[StrictFloat | StrictInt, Field(ge=0, le=1)]


class MatchScores(DataModel):
    """The confidence of a lexicon hit by how the term was found (one key per kind of match)."""

    exact: _Fraction
    variant: _Fraction
    pinyin: _Fraction
    initials: _Fraction
    filler: _Fraction
    homophone: _Fraction
    doubled: _Fraction
    euphemism: _Fraction
    pattern: _Fraction


class SeverityWeights(DataModel):
    low: _Fraction
    medium: _Fraction
    high: _Fraction


class ScoringFile(DataModel):
    """lexicons/scoring.yaml key for key."""

    match_scores: MatchScores
    severity_weights: SeverityWeights
    block_severities: tuple[Literal[SEVERITIES], ...]
    block_min_score: _Fraction
