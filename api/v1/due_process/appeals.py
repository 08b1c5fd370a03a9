"""Appeals (申诉) over HTTP: an anchor's key (or a platform or regulator on its behalf) appeals
a violation, with evidence (files and links) if it has any; a regulator upholds or rejects it
through `monitor.review.decisions` and is answered the anchor's credit before and after. Evidence
files are downloaded by regulators and the appealing anchor only."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from api.core.auth import check_own, require_roles
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.due_process.appeal_evidence import (
    APPEAL_REQUEST_BODY,
    appeal_request,
    evidence_download,
    file_staged_appeal,
    refusal,
    with_downloads,
)
from api.v1.due_process.shared import (
    DECIDE,
    ONE,
    WRITE,
    Anyone,
    Regulator,
    anchor_filter,
)
from api.v1.schemas.common import AnchorFilter, Limit, Offset, RecordId
from api.v1.schemas.due_process import (
    Appeal,
    AppealDecision,
    AppealDecisionRequest,
    AppealList,
    AppealStatus,
)
from monitor.review import decisions
from monitor.review.appeal_evidence import evidence_file
from monitor.review.evidence_files import EVIDENCE_TYPES, EvidenceRefused, EvidenceStaging
from monitor.review.flags import check_appealable
from monitor.store.api_keys import Principal
from monitor.store.store_lists import get_appeal, get_violation, list_appeals

router = APIRouter(tags=["due process"])


@router.post(
    "/v1/violations/{violation_id}/appeals",
    response_model=Appeal,
    status_code=201,
    responses={
        **WRITE,
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
    check_own(caller, violation["anchor_id"])
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


@router.get("/v1/appeals", response_model=AppealList, responses=ONE)
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
        db, status=status, anchor_id=anchor_filter(caller, db, anchor), limit=limit, offset=offset
    )
    return {"items": with_downloads(db, items), "total": total}


@router.get("/v1/appeals/{appeal_id}", response_model=Appeal, responses=ONE)
def appeal(appeal_id: RecordId, caller: Anyone, db: DatabaseDep) -> dict:
    """One appeal with its evidence; an anchor key sees only its own."""
    found = get_appeal(db, appeal_id)
    if found is None:
        raise ApiError(404, "not_found", f"申诉不存在 / no appeal {appeal_id}")
    check_own(caller, found["anchor_id"])
    return with_downloads(db, [found])[0]


@router.get(
    "/v1/appeals/{appeal_id}/evidence/{evidence_id}",
    response_class=FileResponse,
    responses={
        200: {
            "content": {t.content_type: {} for t in EVIDENCE_TYPES},
            "description": "The file, as an attachment.",
        },
        **ONE,
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
    check_own(caller, found["anchor_id"])
    stored = evidence_file(db, appeal_id, evidence_id, services.settings.files_dir())
    if stored is None:
        raise ApiError(
            404,
            "not_found",
            f"申诉 {appeal_id} 没有证据文件 {evidence_id} / appeal {appeal_id} has no evidence "
            f"file {evidence_id}",
        )
    return evidence_download(*stored)


@router.post("/v1/appeals/{appeal_id}/decision", response_model=AppealDecision, responses=DECIDE)
def decide_appeal_route(
    appeal_id: RecordId,
    body: AppealDecisionRequest,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Uphold (the violation no longer counts; credit is restored) or reject, with a reason."""
    decision = decisions.Decision("appeal", appeal_id, body.action, body.reason, caller.actor)
    return decisions.decide(db, decision, services.policy).to_dict()
