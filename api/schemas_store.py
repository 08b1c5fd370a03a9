"""Request and response models of the store API (flags, review, registry, violations, appeals,
repairs, blacklist, scripts, disclosure, statistics), and the query and path parameters those
routes share (paging, record ids).

Response models list the library's row keys one for one; internal columns (a recording's file
path, dedupe keys) are left out on purpose.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from monitor.db import now_iso
from monitor.errors import InputError
from monitor.registry import CERTIFICATION_TYPES

from .schemas import CheckReport, Reason, Severity, Verdict


def _encodable(value: str) -> str:
    """Reject text SQLite cannot store (lone surrogates sent as JSON escapes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode (lone surrogate)") from None
    return value


def _not_a_number(value: Any) -> Any:
    """Times are ISO-8601 text; pydantic would also read a number as Unix seconds."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()
    ):
        raise ValueError("a time is ISO-8601 text, e.g. 2026-05-01T08:00:00Z")
    return value


Text = Annotated[str, AfterValidator(_encodable)]
Moment = Annotated[datetime, BeforeValidator(_not_a_number)]
Id = Annotated[Text, Field(min_length=1, max_length=64, pattern=r"^\S+$")]
Note = Annotated[Text, Field(max_length=4000)]
# Text that must say something: the library refuses blank reasons, evidence and comments.
Said = Annotated[Text, Field(min_length=1, max_length=4000, pattern=r"\S")]

MAX_ROW_ID = 2**63 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="Record id.")]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip.")]
TimeFilter = Annotated[
    Moment | None,
    Query(description="ISO-8601 time, e.g. 2026-05-01T00:00:00Z (no offset: UTC)."),
]


def iso(moment: datetime | None) -> str | None:
    """A time given to the API as the store writes times (UTC, Z); 400 when it cannot be one."""
    if moment is None:
        return None
    try:
        return now_iso(moment)
    except (OverflowError, ValueError):
        raise InputError(f"时间超出范围 / time out of range: {moment.isoformat()}") from None


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreditSnapshot(BaseModel):
    score: float
    grade: str
    blacklisted: bool


# --- flags and streams ---------------------------------------------------------------------

FlagStatus = Literal["open", "confirmed", "dismissed"]


class Flag(BaseModel):
    id: int
    stream_id: str | None
    anchor_id: str | None
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


class FlagList(BaseModel):
    items: list[Flag]
    total: int


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


class ReviewDecision(BaseModel):
    id: int
    decision: Literal["confirm", "dismiss"]
    category: str | None
    severity: Severity | None
    note: str
    reason: str
    reviewer: str
    decided_at: str


class FlagDetail(Flag):
    stream: FlagStream | None
    segment: FlagSegment | None
    decision: ReviewDecision | None


class FlagConfirm(_Input):
    action: Literal["confirm"]
    category: Annotated[Text, Field(max_length=64)] | None = Field(
        None, description="Corrected category id (default: the flag's)."
    )
    severity: Severity | None = Field(None, description="Corrected severity (default: the flag's).")
    note: Note = ""


class FlagDismiss(_Input):
    action: Literal["dismiss"]
    reason: Said = Field(description="Why the flag is not a violation (required).")
    note: Note = ""


FlagDecisionRequest = Annotated[FlagConfirm | FlagDismiss, Field(discriminator="action")]


class FlagDecision(BaseModel):
    decision_id: int
    flag_id: int
    decision: Literal["confirm", "dismiss"]
    category: str | None
    severity: Severity | None
    note: str
    reason: str
    reviewer: str
    decided_at: str
    anchor_id: str | None
    violation_id: int | None
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


# --- registry ------------------------------------------------------------------------------


class Workshop(BaseModel):
    id: str
    name: str
    region: str
    created_at: str


class WorkshopList(BaseModel):
    items: list[Workshop]
    total: int


class WorkshopCreate(_Input):
    id: Id
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    region: Annotated[Text, Field(max_length=200)] = ""


class WorkshopPatch(_Input):
    """Fields left out or null stay as they are."""

    name: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    region: Annotated[Text, Field(max_length=200)] | None = None


class Anchor(BaseModel):
    id: str
    name: str
    workshop_id: str | None
    created_at: str
    accounts: list[str] = Field(description="Platform accounts, PLATFORM:ACCOUNT.")


class AnchorList(BaseModel):
    items: list[Anchor]
    total: int


Account = Annotated[
    Text,
    Field(
        min_length=3,
        pattern=r"^[^:]*[^\s:][^:]*:.*\S",
        description="PLATFORM:ACCOUNT",
        examples=["douyin:wang"],
    ),
]


class AnchorCreate(_Input):
    id: Id
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    workshop_id: Id | None = None
    accounts: list[Account] = Field([], max_length=50)


class AnchorPatch(_Input):
    """Fields left out (or null, except `workshop_id`) stay as they are."""

    name: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    workshop_id: Id | None = Field(None, description="A workshop id; null removes the workshop.")
    add_accounts: list[Account] = Field([], max_length=50)
    remove_accounts: list[Account] = Field([], max_length=50)


CertificationType = Literal[CERTIFICATION_TYPES]


class Certification(BaseModel):
    type: CertificationType
    number: Annotated[Text, Field(max_length=200)] = ""
    valid_until: Annotated[Text, Field(max_length=64)] | None = None


class Product(BaseModel):
    id: str
    name: str
    workshop_id: str | None
    product_class: str
    origin: str
    producer: str
    certifications: list[Certification]
    registration_numbers: list[str]
    created_at: str


class ProductList(BaseModel):
    items: list[Product]
    total: int


_Name = Annotated[Text, Field(min_length=1, max_length=200)]
_Field = Annotated[Text, Field(max_length=500)]
_Numbers = Annotated[list[Annotated[Text, Field(max_length=200)]], Field(max_length=50)]


class ProductCreate(_Input):
    id: Id
    name: _Name
    workshop_id: Id | None = None
    product_class: Annotated[Text, Field(min_length=1, max_length=64)] = "food"
    origin: _Field = Field("", description="Registered place of origin, e.g. 浙江省宁波市余姚市.")
    producer: _Field = ""
    certifications: list[Certification] = Field([], max_length=50)
    registration_numbers: _Numbers = []


class ProductPatch(_Input):
    """Fields left out (or null, except `workshop_id`) stay as they are."""

    name: _Name | None = None
    workshop_id: Id | None = Field(None, description="A workshop id; null removes the workshop.")
    product_class: Annotated[Text, Field(min_length=1, max_length=64)] | None = None
    origin: _Field | None = None
    producer: _Field | None = None
    certifications: list[Certification] | None = Field(None, max_length=50)
    registration_numbers: _Numbers | None = None


# --- violations, appeals, repairs, blacklist, scripts --------------------------------------

ViolationStatus = Literal["standing", "appealed", "overturned"]


class Violation(BaseModel):
    id: int
    anchor_id: str
    category: str
    severity: Severity
    occurred_at: str
    recorded_at: str
    recorded_by: str
    origin: Literal["flag", "complaint", "inspection", "other"]
    flag_id: int | None
    decision_id: int | None
    evidence: str
    status: ViolationStatus = Field(description="standing, appealed (pending) or overturned.")


class ViolationList(BaseModel):
    items: list[Violation]
    total: int


class ViolationCreate(_Input):
    anchor: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="Anchor id or PLATFORM:ACCOUNT."
    )
    category: Annotated[Text, Field(max_length=64)]
    severity: Severity
    evidence: Said
    at: Moment | None = Field(None, description="When it happened (ISO-8601; default now).")
    origin: Literal["inspection", "complaint", "other"] = "inspection"


class ViolationRecorded(BaseModel):
    violation: Violation
    credit_before: CreditSnapshot
    credit_after: CreditSnapshot


AppealStatus = Literal["pending", "upheld", "rejected"]


class Appeal(BaseModel):
    id: int
    violation_id: int
    anchor_id: str
    reason: str
    filed_at: str
    filed_by: str
    status: AppealStatus
    decided_at: str | None
    decided_by: str | None
    decision_reason: str | None


class AppealList(BaseModel):
    items: list[Appeal]
    total: int


class AppealCreate(_Input):
    reason: Said


class AppealDecisionRequest(_Input):
    action: Literal["uphold", "reject"]
    reason: Said


class AppealDecision(BaseModel):
    appeal_id: int
    status: Literal["upheld", "rejected"]
    anchor_id: str
    credit_before: CreditSnapshot
    credit_after: CreditSnapshot


RepairStatus = Literal["pending", "granted", "refused"]


class Repair(BaseModel):
    id: int
    anchor_id: str
    kind: Literal["repair", "early_removal"]
    reason: str
    filed_at: str
    filed_by: str
    status: RepairStatus
    decided_at: str | None
    decided_by: str | None
    decision_reason: str | None


class RepairList(BaseModel):
    items: list[Repair]
    total: int


class RepairCreate(_Input):
    kind: Literal["repair", "early_removal"] = Field(
        description="repair (信用修复) or early_removal (提前移出黑名单)."
    )
    reason: Said = Field(description="The rectification done.")


class RepairDecisionRequest(_Input):
    action: Literal["grant", "refuse"]
    reason: Said


class RepairDecision(BaseModel):
    repair_id: int
    status: Literal["granted", "refused"]
    anchor_id: str
    credit_before: CreditSnapshot
    credit_after: CreditSnapshot


class BlacklistEntry(BaseModel):
    id: int
    anchor_id: str
    name: str
    listed_at: str
    until: str
    reason: str


class BlacklistList(BaseModel):
    items: list[BlacklistEntry]
    total: int


class ScriptCreate(_Input):
    text: Annotated[Text, Field(min_length=1)]
    product_id: Id | None = None
    for_stream_at: Moment | None = Field(None, description="When the stream is planned (ISO-8601).")
    require_approval: bool = Field(
        strict=True,
        default=False,
        description="Ask for a regulator's approval even when the grade does not.",
    )


class ScriptSubmitted(BaseModel):
    script_id: int
    status: Literal["checked", "pending"] = Field(
        description="pending: waits for a regulator's approval; checked: no approval needed."
    )
    report: CheckReport


class ScriptApprove(_Input):
    action: Literal["approve"]
    comments: Note = ""


class ScriptReturn(_Input):
    action: Literal["return"]
    comments: Said = Field(description="What to change (required).")


ScriptDecisionRequest = Annotated[ScriptApprove | ScriptReturn, Field(discriminator="action")]


class ScriptDecision(BaseModel):
    script_id: int
    status: Literal["approved", "returned"]


ScriptStatus = Literal["checked", "pending", "approved", "returned"]


class ScriptSummary(BaseModel):
    id: int
    anchor_id: str
    product_id: str | None
    submitted_at: str
    for_stream_at: str | None
    status: ScriptStatus = Field(
        description="checked (no approval needed), pending (waits for a regulator), approved or "
        "returned (with comments)."
    )
    reviewer: str | None
    comments: str | None = Field(description="The regulator's comments, once decided.")
    decided_at: str | None
    verdict: Verdict = Field(description="The check's verdict.")
    hits: int = Field(description="How many hits the check found.")


class ScriptList(BaseModel):
    items: list[ScriptSummary]
    total: int


class Script(ScriptSummary):
    text: str
    report: CheckReport


# --- disclosure and statistics -------------------------------------------------------------


class PublicGrade(BaseModel):
    anchor_id: str
    name: str
    workshop: str | None
    grade: str
    grade_name: str
    colour: str
    as_of: str | None


class PublicBlacklistEntry(BaseModel):
    anchor_id: str
    name: str
    listed_at: str
    until: str
    reason: str
    removed_at: str | None
    in_force: bool


class PublicViolation(BaseModel):
    id: int
    anchor_id: str
    name: str
    category: str
    severity: Severity
    occurred_at: str
    published_until: str


class PublicProduct(BaseModel):
    id: str
    name: str
    origin: str
    producer: str
    certifications: list[dict[str, Any]]
    registration_numbers: list[str]
    workshop: str | None


class Disclosure(BaseModel):
    generated_at: str
    anchors: list[PublicGrade] = Field(description="Empty when the policy keeps grades private.")
    blacklist: list[PublicBlacklistEntry]
    violations: list[PublicViolation]
    products: list[PublicProduct]


class PublishedDisclosure(Disclosure):
    audit_head: str = Field(description="Audit log head hash at publication.")


class WorkshopStatsRow(BaseModel):
    rank: int
    workshop_id: str
    name: str
    anchors: int
    streams: int
    streams_with_violations: int
    flags: int
    open_flags: int
    violations: int
    compliance_rate: float | None = Field(
        description="Share of streams with no confirmed violation; null without streams."
    )


class WorkshopStats(BaseModel):
    since: str | None
    until: str | None
    items: list[WorkshopStatsRow]
