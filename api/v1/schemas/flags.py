"""Request and response models of flags, their review decisions and streams."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.v1.schemas.check import Reason, Severity
from api.v1.schemas.common import CreditSnapshot, InputModel, Note, Said, Text

FlagStatus = Literal["open", "confirmed", "dismissed"]
# "decided": confirmed and dismissed together
FlagStatusFilter = Literal["open", "confirmed", "dismissed", "decided"]


class DecisionFields(BaseModel):
    decision: Literal["confirm", "dismiss"]
    category: str | None
    severity: Severity | None
    note: str
    reason: str
    reviewer: str
    decided_at: str


class ReviewDecision(DecisionFields):
    id: int
    violation_id: int | None = Field(description="The violation a confirmation recorded.")


class Flag(BaseModel):
    id: int
    stream_id: str | None
    anchor_id: str | None
    anchor_name: str | None
    workshop_id: str | None
    segment_id: int | None
    created_at: str
    context: str = Field(description="The sentence(s) around the hit; offsets refer to it.")
    start: int
    end: int
    text: str
    time_start: float | None = Field(description="Seconds into the stream, when timed.")
    time_end: float | None
    category: str
    severity: Severity
    source: str
    rule: str
    score: float
    basis: list[str]
    explanation: str
    suggestion: str
    reasons: list[Reason]
    in_approved_script: bool | None
    status: FlagStatus
    decision: ReviewDecision | None = Field(
        description="Who decided, when, and how; null while open."
    )


class FlagList(BaseModel):
    items: list[Flag]
    total: int = Field(description="Flags the filters select in all.")
    limit: int
    offset: int


class FlagStream(BaseModel):
    id: str
    product_id: str | None
    source: str
    started_at: str
    ended_at: str | None
    has_media: bool


class FlagSegment(BaseModel):
    seq: int
    start_s: float
    end_s: float


class FlagDetail(Flag):
    stream: FlagStream | None
    segment: FlagSegment | None


class FlagConfirm(InputModel):
    action: Literal["confirm"]
    category: Annotated[Text, Field(max_length=64)] | None = Field(
        None, description="Corrected category id (default: the flag's)."
    )
    severity: Severity | None = Field(None, description="Corrected severity (default: the flag's).")
    note: Note = ""


class FlagDismiss(InputModel):
    action: Literal["dismiss"]
    reason: Said = Field(description="Why the flag is not a violation (required).")
    note: Note = ""


FlagDecisionRequest = Annotated[FlagConfirm | FlagDismiss, Field(discriminator="action")]


class FlagDecision(DecisionFields):
    decision_id: int
    flag_id: int
    anchor_id: str | None
    violation_id: int | None
    credit_before: CreditSnapshot | None
    credit_after: CreditSnapshot | None


class FlagUndo(BaseModel):
    flag_id: int
    undone: ReviewDecision = Field(description="The decision removed; the flag is open again.")
    violation_id: int | None = Field(description="The violation removed with it, if any.")
    anchor_id: str | None
    credit_before: CreditSnapshot | None
    credit_after: CreditSnapshot | None


class FlagCounts(BaseModel):
    open: int
    confirmed: int
    dismissed: int


class Stream(BaseModel):
    id: str
    anchor_id: str
    workshop_id: str | None
    product_id: str | None
    source: str
    started_at: str
    ended_at: str | None
    has_media: bool
    segments: int
    flags: FlagCounts


class StreamItem(Stream):
    anchor_name: str
    workshop: str | None = Field(description="The workshop's name.")
    product: str | None = Field(description="The product's name.")
    live: bool = Field(description="A live room is watching the stream now.")


class StreamList(BaseModel):
    items: list[StreamItem]
    total: int = Field(description="Streams matching the filters, over all pages.")
