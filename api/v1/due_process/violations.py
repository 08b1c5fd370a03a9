"""Violations over HTTP: recorded by a regulator from a complaint or an inspection (evidence
required; the anchor's credit before and after is answered), and listed, an anchor key seeing
only its own. Flags confirmed in review become violations in `routes_flags`."""

from __future__ import annotations

from fastapi import APIRouter

from api.core.auth import AnchorRef, anchor_id_for
from api.core.context import DatabaseDep, ServicesDep
from api.v1.due_process.shared import ONE, WRITE, Anyone, Regulator, anchor_filter
from api.v1.schemas.common import AnchorFilter, Limit, Offset, iso
from api.v1.schemas.due_process import (
    ViolationCreate,
    ViolationList,
    ViolationRecorded,
    ViolationStatus,
)
from monitor.review.decision_effects import with_credit_change
from monitor.review.flags import record_violation
from monitor.store.store_lists import get_violation, list_violations

router = APIRouter(tags=["due process"])


@router.post("/v1/violations", response_model=ViolationRecorded, status_code=201, responses=WRITE)
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


@router.get("/v1/violations", response_model=ViolationList, responses=ONE)
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
        db, anchor_id=anchor_filter(caller, db, anchor), status=status, limit=limit, offset=offset
    )
    return {"items": items, "total": total}


@router.get("/v1/anchors/{anchor_id}/violations", response_model=ViolationList, responses=ONE)
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
