"""The check report: hits, sentence verdicts and the overall verdict (docs/architecture.md, "Check report")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Reason:
    """A further detector that found the same problem on the same span (kept when hits merge)."""

    source: str
    rule: str
    score: float
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    suggestion: str  # what to do instead: a compliant way to say it, or advice
    rewording: str | None = None  # words that may replace the hit where it stands (lexicon data)
    match: str = "exact"  # how found: exact | variant | pinyin | initials | filler | doubled | homophone | euphemism | pattern | model | facts
    term: str = ""
    blocking: bool = (
        False  # high severity at high confidence: this hit alone makes the verdict block
    )
    reasons: tuple[Reason, ...] = ()
    time_start: float | None = None  # seconds in the stream, for timed sources (captions, speech)
    time_end: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["basis"] = list(self.basis)
        data["reasons"] = [reason.to_dict() for reason in self.reasons]
        return _without_missing_times(data)


@dataclass(frozen=True)
class SentenceVerdict:
    start: int
    end: int
    verdict: str
    categories: tuple[str, ...]
    score: float
    time_start: float | None = None
    time_end: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _without_missing_times(
            {
                "start": self.start,
                "end": self.end,
                "verdict": self.verdict,
                "categories": list(self.categories),
                "score": self.score,
                "time_start": self.time_start,
                "time_end": self.time_end,
            }
        )


@dataclass(frozen=True)
class ReportWarning:
    """Why the report may be less sure than its hits say: a stable `code`, a message (Chinese /
    English), and how much of the input it concerns (segments, and their share of speech time)."""

    code: str
    message: str
    segments: int = 0
    share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "share": round(float(self.share), 3)}


@dataclass(frozen=True)
class Report:
    verdict: str
    risk: float
    hits: tuple[Hit, ...]
    sentences: tuple[SentenceVerdict, ...] = field(default=())
    profile: str = "default"
    warnings: tuple[ReportWarning, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "risk": self.risk,
            "hits": [hit.to_dict() for hit in self.hits],
            "sentences": [sentence.to_dict() for sentence in self.sentences],
            "profile": self.profile,
            "warnings": [warning.to_dict() for warning in self.warnings],
        }


def with_warnings(report: Report, warnings: Sequence[ReportWarning]) -> Report:
    """The report carrying `warnings`; a `pass` becomes `review`, since text that may not be
    what was said cannot clear it (a person listens). `block` stays `block`."""
    if not warnings:
        return report
    verdict = "review" if report.verdict == "pass" else report.verdict
    return replace(report, verdict=verdict, warnings=(*report.warnings, *warnings))


def _without_missing_times(data: dict[str, Any]) -> dict[str, Any]:
    """Plain-text checks have no stream times: leave the keys out rather than send nulls."""
    for key in ("time_start", "time_end"):
        if data.get(key) is None:
            data.pop(key, None)
    return data
