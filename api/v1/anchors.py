"""An anchor's credit and eligibility, and scripts submitted for pre-review (decided in
`routes_scripts`): regulators and platforms for any anchor, an anchor key for its own.
`{anchor_id}` is an anchor id or a platform account PLATFORM:ACCOUNT; `?anchor=` forms take
accounts whose name has a `/`, which a path cannot."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.core.auth import AnchorRef, anchor_id_for, readable_anchor, require_roles
from api.core.check_slots import check_slot
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ErrorBody
from api.core.limits import check_text_size
from api.v1.check import require_known_class
from api.v1.schemas.check import Credit, Eligibility
from api.v1.schemas.common import Moment, iso
from api.v1.schemas.due_process import ScriptCreate, ScriptSubmitted
from monitor.credit.eligibility import eligibility
from monitor.credit.service import anchor_credit
from monitor.review.prereview import submit_script
from monitor.store.api_keys import ROLES, Principal
from monitor.store.db import parse_time

router = APIRouter(tags=["anchors"])

_ERRORS = {
    401: {"model": ErrorBody},
    403: {"model": ErrorBody, "description": "An anchor key asking about another anchor."},
    404: {"model": ErrorBody, "description": "No such anchor."},
    422: {"model": ErrorBody},
}
Caller = Annotated[Principal, Depends(require_roles(*ROLES))]
AnchorQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=200,
        description="Anchor id or PLATFORM:ACCOUNT (the account may contain `/`).",
        examples=["douyin:shop/wang"],
    ),
]
AtQuery = Annotated[
    Moment | None, Query(description="Evaluate at this time (ISO-8601) instead of now.")
]
_CREDIT_ERRORS = {**_ERRORS, 400: {"model": ErrorBody, "description": "`at` is not a time."}}


@router.get(
    "/v1/anchors/{anchor_id}/credit",
    response_model=Credit,
    responses=_CREDIT_ERRORS,
)
def credit(
    anchor_id: AnchorRef,
    caller: Caller,
    db: DatabaseDep,
    services: ServicesDep,
    at: AtQuery = None,
) -> dict:
    """Score, colour grade, restrictions, blacklist state and the history that led there."""
    resolved = anchor_id_for(caller, db, anchor_id)
    moment = parse_time(iso(at)) if at is not None else None
    return anchor_credit(db, resolved, services.policy, moment).to_dict()


_ELIGIBILITY_ERRORS = {
    **{status: body for status, body in _ERRORS.items() if status != 404},
    400: {"model": ErrorBody, "description": "A malformed account (PLATFORM:ACCOUNT)."},
}


@router.get(
    "/v1/anchors/{anchor_id}/eligibility",
    response_model=Eligibility,
    responses=_ELIGIBILITY_ERRORS,
)
def anchor_eligibility(
    anchor_id: AnchorRef, caller: Caller, db: DatabaseDep, services: ServicesDep
) -> dict:
    """May the anchor register, may they go live now; if not, why and until when.

    An id or account qinglang has no record of is not an error: the answer has `known: false`,
    `may_register: true`, the grade every anchor starts with, and `may_go_live` as the credit
    policy says for unregistered accounts (`unregistered.may_go_live`, true by default), with the
    reason and what to do (have the regulator register the account)."""
    resolved = readable_anchor(caller, db, anchor_id)
    return eligibility(db, resolved or anchor_id, services.policy).to_dict()


@router.get(
    "/v1/credit",
    response_model=Credit,
    responses=_CREDIT_ERRORS,
)
def credit_by_query(
    anchor: AnchorQuery,
    caller: Caller,
    db: DatabaseDep,
    services: ServicesDep,
    at: AtQuery = None,
) -> dict:
    """As `GET /v1/anchors/{anchor_id}/credit`, the anchor given as `?anchor=`."""
    return credit(anchor, caller, db, services, at)


@router.get("/v1/eligibility", response_model=Eligibility, responses=_ELIGIBILITY_ERRORS)
def eligibility_by_query(
    anchor: AnchorQuery, caller: Caller, db: DatabaseDep, services: ServicesDep
) -> dict:
    """As `GET /v1/anchors/{anchor_id}/eligibility`, the anchor given as `?anchor=`."""
    return anchor_eligibility(anchor, caller, db, services)


@router.post(
    "/v1/anchors/{anchor_id}/scripts",
    response_model=ScriptSubmitted,
    status_code=201,
    tags=["scripts"],
    responses={
        **_ERRORS,
        400: {"model": ErrorBody, "description": "Unknown product, bad `for_stream_at`."},
        413: {"model": ErrorBody, "description": "Script over the text limit."},
        503: {"model": ErrorBody, "description": "Too many checks running; retry later."},
    },
)
def submit(
    anchor_id: AnchorRef,
    body: ScriptCreate,
    request: Request,
    caller: Caller,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Submit the script of a coming stream: it is checked at once; it waits for a regulator's
    approval (status pending) when the anchor's grade requires it or `require_approval` is set."""
    resolved = anchor_id_for(caller, db, anchor_id)
    check_text_size(body.text, services.settings.max_text_bytes)
    require_known_class(services.checker, body.product_class)
    with check_slot(request):
        return submit_script(
            db,
            services.checker,
            services.policy,
            anchor=resolved,
            text=body.text,
            submitted_by=caller.actor,
            product_id=body.product_id,
            for_stream_at=iso(body.for_stream_at),
            require_approval=body.require_approval,
            product_class=body.product_class,
        )
