"""Request and response models, so that the OpenAPI schema documents every body.

The check report's models (Hit, Sentence, Reason, ReportWarning) are derived from the library's
dataclasses field for field (`mirror`, docs/architecture.md "Check report"), so the two cannot drift.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.v1.schemas.common import KNOWN_PRODUCT_CLASSES, KNOWN_PROFILES
from api.v1.schemas.mirror import mirror
from monitor import report

Verdict = Literal["pass", "review", "block"]
Severity = Literal["low", "medium", "high"]


class Health(BaseModel):
    status: Literal["ok"]
    schema_version: int = Field(description="Version of the store's schema (migrations applied).")


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="The script, caption or transcript to check.")
    profile: str | None = Field(
        None,
        description="Lexicon profile (default: QINGLANG_PROFILE).",
        json_schema_extra=KNOWN_PROFILES,
    )
    product_class: str | None = Field(
        None,
        description="Product class of the goods, e.g. food, cosmetics, drug.",
        json_schema_extra=KNOWN_PRODUCT_CLASSES,
    )


_TIMES = ("time_start", "time_end")  # stream times: only timed reports carry them (TimedHit)

Reason = mirror(report.Reason)
Hit = mirror(
    report.Hit,
    omit=_TIMES,
    narrow={"severity": Severity},
    nested={report.Reason: Reason},
    describe={
        "start": "Character offset into the text as given.",
        "source": "lexicon | classifier | facts",
        "basis": "Laws and articles the claim breaks.",
        "suggestion": "What to say or do instead (a compliant way to say it, or advice).",
        "rewording": "Words that may replace the hit where it stands, claiming nothing more; "
        "null when only advice fits (the hit must be rewritten by hand).",
        "match": "How it was found: exact, variant, pinyin, initials, filler, doubled, "
        "homophone, euphemism, pattern, model or facts.",
        "blocking": "High severity at high confidence: this hit alone makes the verdict block.",
    },
)
Sentence = mirror(report.SentenceVerdict, name="Sentence", omit=_TIMES, narrow={"verdict": Verdict})
ReportWarning = mirror(
    report.ReportWarning,
    describe={
        "code": "Stable id: asr_low_confidence, asr_repetition, asr_not_chinese, "
        "asr_digit_string, asr_unrecognised_speech or asr_language_uncertain (the transcript "
        "may not be what was said).",
        "message": "What it means and what to do, Chinese / English.",
        "segments": "Segments it concerns.",
        "share": "Their share of the speech time, 0–1.",
    },
)


class CheckReport(BaseModel):
    verdict: Verdict
    risk: float
    hits: list[Hit]
    sentences: list[Sentence]
    profile: str
    warnings: list[ReportWarning] = Field(
        default=[], description="Why the report may be unreliable; a warning makes `pass` `review`."
    )


class Restriction(BaseModel):
    id: str
    text: str


class CreditEvent(BaseModel):
    at: str
    kind: str
    kind_name: str = Field(description="The kind in words, e.g. 违规扣分 / violation.")
    delta: float
    score: float
    grade: str
    detail: str
    violation_id: int | None


class Credit(BaseModel):
    anchor_id: str
    score: float
    grade: str
    grade_name: str
    colour: str
    blacklisted: bool
    blacklisted_until: str | None
    restrictions: list[Restriction]
    may_go_live: bool
    may_register: bool
    policy_version: str
    history: list[CreditEvent]


class Eligibility(BaseModel):
    anchor_id: str = Field(
        description="The anchor's id; for an unregistered account, the id or account as asked."
    )
    known: bool = Field(
        description="False when no registered anchor has this id or account: qinglang has no "
        "record of it (no violation, no blacklist entry)."
    )
    may_register: bool
    may_go_live: bool = Field(
        description="For an unregistered account: the credit policy's `unregistered.may_go_live`."
    )
    reason: str = Field(
        description="Why not (中文 / English); for an unregistered account, what to do. Empty "
        "when a registered anchor may go live."
    )
    until: str | None = Field(description="When a blacklisting ends (UTC), if blacklisted.")
    grade: str = Field(
        description="Colour grade id; for an unregistered account, the grade every anchor "
        "starts with."
    )
    restrictions: list[str]
