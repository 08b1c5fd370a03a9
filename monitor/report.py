"""The check report: hits, sentence verdicts and the overall verdict (DESIGN.md, "Check report")."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Hit:
    """One reported problem: where it is in the text as given, what fired, and why it is a problem."""

    start: int
    end: int
    text: str
    normalized: str
    category: str
    category_name: str
    severity: str
    source: str
    rule: str
    score: float
    basis: tuple[str, ...]
    explanation: str
    suggestion: str
    match: str = "exact"  # how the lexicon matched: exact | variant | pinyin | filler | homophone
    term: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["basis"] = list(self.basis)
        return data


@dataclass(frozen=True)
class SentenceVerdict:
    start: int
    end: int
    verdict: str
    categories: tuple[str, ...]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "verdict": self.verdict,
            "categories": list(self.categories),
            "score": self.score,
        }


@dataclass(frozen=True)
class Report:
    verdict: str
    risk: float
    hits: tuple[Hit, ...]
    sentences: tuple[SentenceVerdict, ...] = field(default=())
    profile: str = "default"

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "risk": self.risk,
            "hits": [hit.to_dict() for hit in self.hits],
            "sentences": [sentence.to_dict() for sentence in self.sentences],
            "profile": self.profile,
        }
