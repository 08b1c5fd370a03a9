"""Request and response models of due process: violations, appeals, credit repair, the
blacklist and script pre-review."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.v1.schemas.check import CheckReport, Severity, Verdict
from api.v1.schemas.common import (
    KNOWN_CATEGORIES,
    KNOWN_PRODUCT_CLASSES,
    BlacklistReason,
    CreditSnapshot,
    EvidenceLink,
    Id,
    InputModel,
    Moment,
    Note,
    Said,
    Text,
)

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


class ViolationCreate(InputModel):
    anchor: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="Anchor id or PLATFORM:ACCOUNT."
    )
    category: Annotated[Text, Field(max_length=64, json_schema_extra=KNOWN_CATEGORIES)]
    severity: Severity
    evidence: Said
    at: Moment | None = Field(None, description="When it happened (ISO-8601; default now).")
    origin: Literal["inspection", "complaint", "other"] = "inspection"


class ViolationRecorded(BaseModel):
    violation: Violation
    credit_before: CreditSnapshot
    credit_after: CreditSnapshot


AppealStatus = Literal["pending", "upheld", "rejected"]


class EvidenceFile(BaseModel):
    id: int
    file_name: str = Field(description="The name it was uploaded with (sanitised).")
    content_type: Literal["application/pdf", "image/jpeg", "image/png"] = Field(
        description="Judged by the file's content, not its name."
    )
    size_bytes: int
    sha256: str
    download_url: str = Field(description="Regulators and the appealing anchor's key only.")


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
    files: list[EvidenceFile] = Field(description="Evidence files (申诉材料), in the order given.")
    links: list[str] = Field(
        description="Evidence links as given (http/https); qinglang never fetches them."
    )


class AppealList(BaseModel):
    items: list[Appeal]
    total: int


class AppealCreate(InputModel):
    reason: Said
    links: list[EvidenceLink] = Field(
        default_factory=list,
        description="Evidence links (http/https), e.g. a certificate in a public registry; stored "
        "as text and never fetched. Files: send the appeal as multipart/form-data with `reason`, "
        "`links` (repeatable, or one per line) and `files` (repeatable: PDF, JPEG, PNG).",
    )


class AppealDecisionRequest(InputModel):
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


class RepairCreate(InputModel):
    kind: Literal["repair", "early_removal"] = Field(
        description="repair (信用修复) or early_removal (提前移出黑名单)."
    )
    reason: Said = Field(description="The rectification done.")


class RepairDecisionRequest(InputModel):
    action: Literal["grant", "refuse"]
    reason: Said


class RepairDecision(BaseModel):
    repair_id: int
    status: Literal["granted", "refused"]
    anchor_id: str
    credit_before: CreditSnapshot
    credit_after: CreditSnapshot


class BlacklistEntry(BlacklistReason):
    id: int
    anchor_id: str
    name: str
    listed_at: str
    until: str


class BlacklistList(BaseModel):
    items: list[BlacklistEntry]
    total: int


class ScriptCreate(InputModel):
    text: Annotated[Text, Field(min_length=1)]
    product_id: Id | None = None
    product_class: Annotated[Text, Field(max_length=64)] | None = Field(
        None,
        description="Product class to check for when no registered product is named.",
        json_schema_extra=KNOWN_PRODUCT_CLASSES,
    )
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


class ScriptApprove(InputModel):
    action: Literal["approve"]
    comments: Note = ""


class ScriptReturn(InputModel):
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
