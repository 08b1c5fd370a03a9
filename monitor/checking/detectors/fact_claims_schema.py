"""The schema of the fact-claims policy (monitor/policies/fact_claims.yaml) as pydantic models:
which certifications a claim needs on the product's record, and how a claimed origin is said.

This module validates values; it reads no files and checks no text (see facts.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from monitor.data_schema import DataModel, Text
from monitor.vocabulary import SEVERITIES


class CertificationRule(DataModel):
    """A certificate (or record) that makes the claims of `rules` and `phrases` lawful."""

    name: Text
    rules: tuple[Text, ...]  # lexicon entry ids whose hits this certificate answers
    phrases: tuple[Text, ...]  # further words that claim it
    severity: Literal[SEVERITIES] = "high"
    blocking: StrictBool = True


class OriginClaims(DataModel):
    """A place named after a cue (产自, 原产于 …) claims the product's origin."""

    cues: tuple[Text, ...] = Field(min_length=1)
    places: tuple[Text, ...] = Field(min_length=1)


class FactClaimsFile(DataModel):
    """monitor/policies/fact_claims.yaml key for key."""

    basis: tuple[Text, ...] = Field(min_length=1)
    certifications: dict[str, CertificationRule]
    negations: tuple[Text, ...]
    origin: OriginClaims
