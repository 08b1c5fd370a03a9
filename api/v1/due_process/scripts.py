"""Submitted scripts (话术预审) over HTTP: listed with their status, verdict and hit count, read
one by one with text and report (an anchor key only its own), and approved or returned with
comments by a regulator through `monitor.review.decisions`. Anchors submit scripts in
`routes_anchors`."""

from __future__ import annotations

from fastapi import APIRouter

from api.core.auth import check_own
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.due_process.shared import ONE, WRITE, Anyone, Regulator, anchor_filter
from api.v1.schemas.common import AnchorFilter, Limit, Offset, RecordId
from api.v1.schemas.due_process import (
    Script,
    ScriptDecision,
    ScriptDecisionRequest,
    ScriptList,
    ScriptStatus,
)
from monitor.review import decisions
from monitor.store.store_lists import list_scripts, script_detail

router = APIRouter(tags=["scripts"])


@router.get("/v1/scripts", response_model=ScriptList, responses=ONE)
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
        db, status=status, anchor_id=anchor_filter(caller, db, anchor), limit=limit, offset=offset
    )
    return {"items": items, "total": total}


@router.get("/v1/scripts/{script_id}", response_model=Script, responses=ONE)
def script(script_id: RecordId, caller: Anyone, db: DatabaseDep) -> dict:
    """One submitted script with its text, its check report and the regulator's decision."""
    found = script_detail(db, script_id)
    if found is None:
        raise ApiError(404, "not_found", f"话术不存在 / no script {script_id}")
    check_own(caller, found["anchor_id"])
    return found


@router.post(
    "/v1/scripts/{script_id}/decision",
    response_model=ScriptDecision,
    responses={
        **WRITE,
        400: {"model": ErrorBody, "description": "Returning a script without comments."},
        409: {"model": ErrorBody, "description": "The script is not pending."},
    },
)
def decide(
    script_id: RecordId,
    body: ScriptDecisionRequest,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Approve a pending script, or return it with comments on its hits."""
    decision = decisions.Decision("script", script_id, body.action, body.comments, caller.actor)
    return decisions.decide(db, decision, services.policy).to_dict()
