"""The evidence a classifier hit needs: the shape of its category's claim in the utterance (a
reference price for price fraud, a channel off the platform, an effect on a disease or body
function…). Patterns are data (lexicons/claim_evidence.yaml); evidence inside a denied or rejected
stretch (scope.py) does not count. Pure; compiled once."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.checking.detectors.scope import Scopes
from monitor.errors import LexiconError
from monitor.text.prices import largest_gap
from monitor.yaml_files import read_validated


class EvidenceRule(BaseModel):
    """One category's evidence: any pattern of `any`, or one pattern of every group of `all_of`."""

    model_config = ConfigDict(extra="forbid")
    why: str = Field(min_length=1)
    any: list[str] = []
    all_of: list[list[str]] = []
    with_price_gap: list[str] = []  # count only where the utterance's prices show a gap

    @field_validator("any", "all_of", "with_price_gap")
    @classmethod
    def _compiles(cls, value):
        for pattern in [
            p for group in value for p in (group if isinstance(group, list) else [group])
        ]:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from exc
        return value


class EvidenceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: dict[str, EvidenceRule]


@dataclass(frozen=True)
class Evidence:
    """Where the claim shows in the utterance (normalised offsets) and what it stands for."""

    start: int
    end: int
    text: str
    why: str


class ClaimEvidence:
    def __init__(self, rules: dict[str, EvidenceRule], min_price_gap: float = 3.0):
        self._why = {c: r.why for c, r in rules.items()}
        self._any = {c: [re.compile(p) for p in r.any] for c, r in rules.items()}
        self._all = {c: [[re.compile(p) for p in g] for g in r.all_of] for c, r in rules.items()}
        self._gap = {c: [re.compile(p) for p in r.with_price_gap] for c, r in rules.items()}
        self._min_price_gap = min_price_gap

    @classmethod
    def load(cls, path: Path, categories, min_price_gap: float = 3.0) -> ClaimEvidence:
        parsed = read_validated(path, EvidenceFile)
        unknown = sorted(set(parsed.categories) - set(categories))
        if unknown:
            raise LexiconError([f"{path}: categories.{c}: unknown category" for c in unknown])
        return cls(parsed.categories, min_price_gap)

    def knows(self, category: str) -> bool:
        return category in self._why

    def find(
        self,
        category: str,
        text: str,
        start: int,
        end: int,
        scopes: Scopes,
        negated: Callable[[int, int], bool] = lambda a, b: False,
    ) -> Evidence | None:
        """The first evidence of `category` in text[start:end] outside every scope and not
        negated, or None."""

        def counts(a: int, b: int) -> bool:
            return not scopes.covers(a, b) and not negated(a, b)

        for pattern in self._any.get(category, ()):
            found = self._first(pattern, text, start, end, counts)
            if found:
                return Evidence(*found, text[found[0] : found[1]], self._why[category])
        gapped = self._gap.get(category)
        if gapped and largest_gap(text[start:end]) >= self._min_price_gap:
            for pattern in gapped:
                found = self._first(pattern, text, start, end, counts)
                if found:
                    return Evidence(*found, text[found[0] : found[1]], self._why[category])
        groups = self._all.get(category)
        if groups:
            parts = [
                next((m for p in g if (m := self._first(p, text, start, end, counts))), None)
                for g in groups
            ]
            if all(parts):
                a, b = min(p[0] for p in parts), max(p[1] for p in parts)
                shown = "、".join(text[p[0] : p[1]] for p in sorted(parts))
                return Evidence(a, b, shown, self._why[category])
        return None

    @staticmethod
    def _first(
        pattern: re.Pattern, text: str, start: int, end: int, counts: Callable[[int, int], bool]
    ) -> tuple[int, int] | None:
        position = start
        while position < end:  # overlapping: a rejected match must not hide a later one
            match = pattern.search(text, position, end)
            if match is None:
                return None
            if match.end() > match.start() and counts(match.start(), match.end()):
                return match.start(), match.end()
            position = match.start() + 1
        return None
