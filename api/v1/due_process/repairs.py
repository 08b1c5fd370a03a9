"""Credit repair (信用修复) and early removal from the blacklist over HTTP: an anchor's key (or a
platform or regulator) applies, stating the rectification; a regulator grants or refuses it
through `monitor.review.decisions` and is answered the anchor's credit before and after. Also the
blacklist in force, for regulators and platforms."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.core.auth import AnchorRef, anchor_id_for, require_roles
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ErrorBody
from api.v1.due_process.shared import DECIDE, ONE, READ, WRITE, Anyone, Regulator, anchor_filter
from api.v1.schemas.common import AnchorFilter, Limit, Offset, RecordId
from api.v1.schemas.due_process import (
    BlacklistList,
    Repair,
    RepairCreate,
    RepairDecision,
    RepairDecisionRequest,
    RepairList,
    RepairStatus,
)
from monitor.review import decisions
from monitor.review.flags import apply_for_repair
from monitor.store.store_lists import blacklist_in_force, get_repair, list_repairs

router = APIRouter(tags=["due process"])


@router.post(
    "/v1/anchors/{anchor_id}/repairs",
    response_model=Repair,
    status_code=201,
    responses={**WRITE, 409: {"model": ErrorBody, "description": "One is already pending."}},
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


@router.get("/v1/repairs", response_model=RepairList, responses=ONE)
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
        db, status=status, anchor_id=anchor_filter(caller, db, anchor), limit=limit, offset=offset
    )
    return {"items": items, "total": total}


@router.post("/v1/repairs/{repair_id}/decision", response_model=RepairDecision, responses=DECIDE)
def decide_repair_route(
    repair_id: RecordId,
    body: RepairDecisionRequest,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Grant or refuse an application, with a reason."""
    decision = decisions.Decision("repair", repair_id, body.action, body.reason, caller.actor)
    return decisions.decide(db, decision, services.policy).to_dict()


@router.get(
    "/v1/blacklist",
    response_model=BlacklistList,
    responses=READ,
    dependencies=[Depends(require_roles("regulator", "platform"))],
)
def blacklist(db: DatabaseDep, limit: Limit = 50, offset: Offset = 0) -> dict:
    """Blacklist entries in force now, newest first: anchor, reason, since and until."""
    items, total = blacklist_in_force(db, limit=limit, offset=offset)
    return {"items": items, "total": total}
