"""Due process over HTTP: violations found outside the flag queue, appeals (申诉) against
violations, credit repair (信用修复) and early removal from the blacklist, the blacklist in
force, and the lists of submitted scripts (话术预审). Only a regulator records a violation or
decides; an anchor key files and reads only its own. Each decision answers with the anchor's
credit before and after it. An appeal may carry evidence (files and links); its files are
downloaded by regulators and the appealing anchor only."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from monitor.api_keys import ROLES, Principal
from monitor.appeal_evidence import evidence_file
from monitor.decision_effects import with_credit_change
from monitor.errors import InputError
from monitor.evidence_files import EVIDENCE_TYPES, EvidenceRefused, EvidenceStaging
from monitor.review import (
    apply_for_repair,
    check_appealable,
    decide_appeal,
    decide_repair,
    record_violation,
)
from monitor.store_lists import (
    blacklist_in_force,
    get_appeal,
    get_repair,
    get_violation,
    list_appeals,
    list_repairs,
    list_scripts,
    list_violations,
    script_detail,
)

from .appeal_evidence import (
    APPEAL_REQUEST_BODY,
    appeal_request,
    evidence_download,
    file_staged_appeal,
    refusal,
    with_downloads,
)
from .auth import AnchorRef, anchor_id_for, require_roles
from .context import DatabaseDep, ServicesDep
from .errors import ApiError, ErrorBody
from .schemas_common import AnchorFilter, Limit, Offset, RecordId, iso
from .schemas_due_process import (
    Appeal,
    AppealDecision,
    AppealDecisionRequest,
    AppealList,
    AppealStatus,
    BlacklistList,
    Repair,
    RepairCreate,
    RepairDecision,
    RepairDecisionRequest,
    RepairList,
    RepairStatus,
    Script,
    ScriptList,
    ScriptStatus,
    ViolationCreate,
    ViolationList,
    ViolationRecorded,
    ViolationStatus,
)

router = APIRouter(tags=["due process"])

Anyone = Annotated[Principal, Depends(require_roles(*ROLES))]
Regulator = Annotated[Principal, Depends(require_roles("regulator"))]
_READ = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}
_ONE = {**_READ, 404: {"model": ErrorBody}}
_WRITE = {**_ONE, 400: {"model": ErrorBody}}
_DECIDE = {**_WRITE, 409: {"model": ErrorBody, "description": "Already decided."}}
_FORBIDDEN = "主播密钥只能查看本人 / an anchor key sees only its own anchor"


# --- violations ----------------------------------------------------------------------------


@router.post("/v1/violations", response_model=ViolationRecorded, status_code=201, responses=_WRITE)
def create_violation(
    body: ViolationCreate, caller: Regulator, db: DatabaseDep, services: ServicesDep
) -> dict:
    """Record a violation found by a complaint or an inspection (evidence required); the anchor's
    credit changes at once."""
    anchor_id = anchor_id_for(caller, db, body.anchor)
    violation_id, before, after = with_credit_change(
        db,
        anchor_id,
        services.policy,
        lambda: record_violation(
            db,
            anchor=anchor_id,
            category=body.category,
            severity=body.severity,
            evidence=body.evidence,
            recorded_by=caller.actor,
            policy=services.policy,
            categories=services.checker.lexicon.categories,
            at=iso(body.at),
            origin=body.origin,
        ),
    )
    return {
        "violation": get_violation(db, violation_id),
        "credit_before": before,
        "credit_after": after,
    }


@router.get("/v1/violations", response_model=ViolationList, responses=_ONE)
def violations(
    caller: Anyone,
    db: DatabaseDep,
    anchor: AnchorFilter = None,
    status: ViolationStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Violations, newest first; an anchor key sees only its own."""
    items, total = list_violations(
        db, anchor_id=_anchor_filter(caller, db, anchor), status=status, limit=limit, offset=offset
    )
    return {"items": items, "total": total}


@router.get("/v1/anchors/{anchor_id}/violations", response_model=ViolationList, responses=_ONE)
def anchor_violations(
    anchor_id: AnchorRef,
    caller: Anyone,
    db: DatabaseDep,
    status: ViolationStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """One anchor's violations, newest first."""
    resolved = anchor_id_for(caller, db, anchor_id)
    items, total = list_violations(
        db, anchor_id=resolved, status=status, limit=limit, offset=offset
    )
    return {"items": items, "total": total}


# --- appeals -------------------------------------------------------------------------------


@router.post(
    "/v1/violations/{violation_id}/appeals",
    response_model=Appeal,
    status_code=201,
    responses={
        **_WRITE,
        409: {"model": ErrorBody, "description": "Already appealed."},
        413: {"model": ErrorBody, "description": "An evidence file or all of them too large."},
        415: {"model": ErrorBody, "description": "An evidence file not PDF, JPEG or PNG."},
    },
    openapi_extra=APPEAL_REQUEST_BODY,
)
async def create_appeal(
    violation_id: RecordId,
    request: Request,
    caller: Anyone,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Appeal a violation: the anchor's own key, or a platform or regulator on their behalf.
    JSON `{"reason", "links"?}`, or multipart/form-data with `reason`, `links` and `files` (PDF,
    JPEG, PNG) as evidence; the appeal and its evidence are stored together or not at all."""
    violation = await anyio.to_thread.run_sync(get_violation, db, violation_id)
    if violation is None:
        raise ApiError(404, "not_found", f"违规记录不存在 / no violation {violation_id}")
    _own(caller, violation["anchor_id"])
    check_appealable(violation)  # before the body is read: no evidence staged for a refusal
    settings = services.settings
    try:
        with EvidenceStaging(settings.files_dir(), settings.evidence_limits()) as staging:
            body = await appeal_request(request, staging)
            appeal_id = await file_staged_appeal(
                db, violation_id, body.reason, body.links, caller.actor, staging
            )
    except EvidenceRefused as exc:
        raise refusal(exc) from None
    return await anyio.to_thread.run_sync(
        lambda: with_downloads(db, [get_appeal(db, appeal_id)])[0]
    )


@router.get("/v1/appeals", response_model=AppealList, responses=_ONE)
def appeals(
    caller: Anyone,
    db: DatabaseDep,
    status: AppealStatus | None = None,
    anchor: AnchorFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Appeals, pending first (oldest first), then decided ones; an anchor key sees its own."""
    items, total = list_appeals(
        db, status=status, anchor_id=_anchor_filter(caller, db, anchor), limit=limit, offset=offset
    )
    return {"items": with_downloads(db, items), "total": total}


@router.get("/v1/appeals/{appeal_id}", response_model=Appeal, responses=_ONE)
def appeal(appeal_id: RecordId, caller: Anyone, db: DatabaseDep) -> dict:
    """One appeal with its evidence; an anchor key sees only its own."""
    found = get_appeal(db, appeal_id)
    if found is None:
        raise ApiError(404, "not_found", f"申诉不存在 / no appeal {appeal_id}")
    _own(caller, found["anchor_id"])
    return with_downloads(db, [found])[0]


@router.get(
    "/v1/appeals/{appeal_id}/evidence/{evidence_id}",
    response_class=FileResponse,
    responses={
        200: {
            "content": {t.content_type: {} for t in EVIDENCE_TYPES},
            "description": "The file, as an attachment.",
        },
        **_ONE,
    },
)
def appeal_evidence(
    appeal_id: RecordId,
    evidence_id: RecordId,
    caller: Annotated[Principal, Depends(require_roles("regulator", "anchor"))],
    db: DatabaseDep,
    services: ServicesDep,
) -> FileResponse:
    """Download an evidence file of an appeal: regulators, and the appealing anchor's key."""
    found = get_appeal(db, appeal_id)
    if found is None:
        raise ApiError(404, "not_found", f"申诉不存在 / no appeal {appeal_id}")
    _own(caller, found["anchor_id"])
    stored = evidence_file(db, appeal_id, evidence_id, services.settings.files_dir())
    if stored is None:
        raise ApiError(
            404,
            "not_found",
            f"申诉 {appeal_id} 没有证据文件 {evidence_id} / appeal {appeal_id} has no evidence "
            f"file {evidence_id}",
        )
    return evidence_download(*stored)


@router.post("/v1/appeals/{appeal_id}/decision", response_model=AppealDecision, responses=_DECIDE)
def decide_appeal_route(
    appeal_id: RecordId,
    body: AppealDecisionRequest,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Uphold (the violation no longer counts; credit is restored) or reject, with a reason."""
    appeal = _pending(get_appeal(db, appeal_id), "申诉", "appeal", appeal_id)
    result, before, after = _decided(
        db,
        appeal["anchor_id"],
        services,
        lambda: decide_appeal(
            db,
            appeal_id,
            uphold=body.action == "uphold",
            reason=body.reason,
            decided_by=caller.actor,
            policy=services.policy,
        ),
        lambda: _pending(get_appeal(db, appeal_id), "申诉", "appeal", appeal_id),
    )
    return {
        "appeal_id": appeal_id,
        "status": result["status"],
        "anchor_id": appeal["anchor_id"],
        "credit_before": before,
        "credit_after": after,
    }


# --- repairs and the blacklist -------------------------------------------------------------


@router.post(
    "/v1/anchors/{anchor_id}/repairs",
    response_model=Repair,
    status_code=201,
    responses={
        **_WRITE,
        409: {
            "model": ErrorBody,
            "description": "One is already pending (`already_pending`), or the anchor's record "
            "does not allow this kind now (`conflict`).",
        },
    },
)
def create_repair(
    anchor_id: AnchorRef,
    body: RepairCreate,
    caller: Anyone,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Apply for credit repair or early removal from the blacklist, stating the rectification."""
    resolved = anchor_id_for(caller, db, anchor_id)
    repair_id = apply_for_repair(
        db, resolved, body.kind, body.reason, caller.actor, services.policy
    )
    return get_repair(db, repair_id)


@router.get("/v1/repairs", response_model=RepairList, responses=_ONE)
def repairs(
    caller: Anyone,
    db: DatabaseDep,
    status: RepairStatus | None = None,
    anchor: AnchorFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Credit repair and early-removal applications, pending first (oldest first), then decided
    ones (newest first); an anchor key sees its own."""
    items, total = list_repairs(
        db, status=status, anchor_id=_anchor_filter(caller, db, anchor), limit=limit, offset=offset
    )
    return {"items": items, "total": total}


@router.post("/v1/repairs/{repair_id}/decision", response_model=RepairDecision, responses=_DECIDE)
def decide_repair_route(
    repair_id: RecordId,
    body: RepairDecisionRequest,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Grant or refuse an application, with a reason."""
    repair = _pending(get_repair(db, repair_id), "申请", "application", repair_id)
    result, before, after = _decided(
        db,
        repair["anchor_id"],
        services,
        lambda: decide_repair(
            db,
            repair_id,
            grant=body.action == "grant",
            reason=body.reason,
            decided_by=caller.actor,
            policy=services.policy,
        ),
        lambda: _pending(get_repair(db, repair_id), "申请", "application", repair_id),
    )
    return {
        "repair_id": repair_id,
        "status": result["status"],
        "anchor_id": repair["anchor_id"],
        "credit_before": before,
        "credit_after": after,
    }


@router.get(
    "/v1/blacklist",
    response_model=BlacklistList,
    responses=_READ,
    dependencies=[Depends(require_roles("regulator", "platform"))],
)
def blacklist(db: DatabaseDep, limit: Limit = 50, offset: Offset = 0) -> dict:
    """Blacklist entries in force now, newest first: anchor, reason, since and until."""
    items, total = blacklist_in_force(db, limit=limit, offset=offset)
    return {"items": items, "total": total}


# --- scripts --------------------------------------------------------------------------------


@router.get("/v1/scripts", response_model=ScriptList, tags=["scripts"], responses=_ONE)
def scripts(
    caller: Anyone,
    db: DatabaseDep,
    status: ScriptStatus | None = None,
    anchor: AnchorFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Submitted scripts with their status, the check's verdict and hit count (not the text):
    pending first (oldest first), then the rest (newest first); an anchor key sees its own."""
    items, total = list_scripts(
        db, status=status, anchor_id=_anchor_filter(caller, db, anchor), limit=limit, offset=offset
    )
    return {"items": items, "total": total}


@router.get("/v1/scripts/{script_id}", response_model=Script, tags=["scripts"], responses=_ONE)
def script(script_id: RecordId, caller: Anyone, db: DatabaseDep) -> dict:
    """One submitted script with its text, its check report and the regulator's decision."""
    found = script_detail(db, script_id)
    if found is None:
        raise ApiError(404, "not_found", f"话术不存在 / no script {script_id}")
    _own(caller, found["anchor_id"])
    return found


# --- helpers -------------------------------------------------------------------------------


def _anchor_filter(caller: Principal, db, anchor: str | None) -> str | None:
    """The anchor a list is restricted to: the one asked for (checked), or an anchor key's own."""
    if anchor is not None:
        return anchor_id_for(caller, db, anchor)
    return caller.anchor_id if caller.role == "anchor" else None


def _own(caller: Principal, anchor_id: str) -> None:
    if caller.role == "anchor" and caller.anchor_id != anchor_id:
        raise ApiError(403, "forbidden", _FORBIDDEN)


def _pending(row: dict[str, Any] | None, zh: str, en: str, record_id: int) -> dict[str, Any]:
    if row is None:
        raise ApiError(404, "not_found", f"{zh}不存在 / no {en} {record_id}")
    if row["status"] != "pending":
        raise ApiError(
            409,
            "already_decided",
            f"{zh} {record_id} 已裁决（{row['status']}）/ {en} {record_id} was already "
            f"{row['status']}",
            {"status": row["status"]},
        )
    return row


def _decided(db, anchor_id: str, services, decide, recheck) -> tuple[dict, dict, dict]:
    """Run a decision with the credit before and after; if the library refuses because another
    regulator decided meanwhile, `recheck` turns that into a 409."""
    try:
        return with_credit_change(db, anchor_id, services.policy, decide)
    except InputError:
        recheck()
        raise
