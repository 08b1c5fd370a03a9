"""An anchor's credit and eligibility: regulators and platforms for any anchor, an anchor key for
its own. `{anchor_id}` is an anchor id or a platform account PLATFORM:ACCOUNT."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from monitor.api_keys import ROLES, Principal
from monitor.credit_service import anchor_credit
from monitor.db import parse_time
from monitor.gate import eligibility

from .auth import AnchorRef, anchor_id_for, require_roles
from .context import DatabaseDep, ServicesDep
from .errors import ErrorBody
from .schemas import Credit, Eligibility

router = APIRouter(tags=["anchors"])

_ERRORS = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody, "description": "An anchor key asking about another anchor."},
    404: {"model": ErrorBody, "description": "No such anchor."},
    422: {"model": ErrorBody},
}
Caller = Annotated[Principal, Depends(require_roles(*ROLES))]


@router.get(
    "/v1/anchors/{anchor_id}/credit",
    response_model=Credit,
    responses={**_ERRORS, 400: {"model": ErrorBody, "description": "`at` is not a time."}},
)
def credit(
    anchor_id: AnchorRef,
    caller: Caller,
    db: DatabaseDep,
    services: ServicesDep,
    at: Annotated[
        str | None, Query(description="Evaluate at this time (ISO-8601) instead of now.")
    ] = None,
) -> dict:
    """Score, colour grade, restrictions, blacklist state and the history that led there."""
    resolved = anchor_id_for(caller, db, anchor_id)
    moment = parse_time(at) if at is not None else None
    return anchor_credit(db, resolved, services.policy, moment).to_dict()


@router.get("/v1/anchors/{anchor_id}/eligibility", response_model=Eligibility, responses=_ERRORS)
def anchor_eligibility(
    anchor_id: AnchorRef, caller: Caller, db: DatabaseDep, services: ServicesDep
) -> dict:
    """May the anchor register, may they go live now; if not, why and until when."""
    resolved = anchor_id_for(caller, db, anchor_id)
    return eligibility(db, resolved, services.policy).to_dict()
