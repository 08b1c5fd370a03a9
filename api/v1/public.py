"""Public disclosure (公示, no key), its publication by a regulator, and workshop statistics for
regulators and platforms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.core.auth import require_roles
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ErrorBody
from api.v1.schemas.common import LocalDay, TimeFilter, period
from api.v1.schemas.public import Disclosure, PublishedDisclosure, WorkshopStats
from monitor.credit.disclosure import disclosure, publish
from monitor.credit.workshop_stats import workshop_stats
from monitor.store.api_keys import Principal

router = APIRouter(tags=["public"])

_AUTH = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}}


@router.get("/v1/public/disclosure", response_model=Disclosure)
def public_disclosure(db: DatabaseDep, services: ServicesDep) -> dict:
    """What the public may see, no key needed: anchors' grades (if the policy publishes them),
    blacklist entries within their publication period, violations within theirs (no evidence),
    and products' registered origin and certifications."""
    return disclosure(db, services.policy)


@router.post("/v1/disclosure/publish", response_model=PublishedDisclosure, responses=_AUTH)
def publish_disclosure(
    caller: Annotated[Principal, Depends(require_roles("regulator"))],
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Record a publication of the disclosure with the audit log's head hash, so a later
    `qinglang audit verify --head` proves the log was not cut short since."""
    return publish(db, services.policy, caller.actor)


@router.get(
    "/v1/stats/workshops",
    response_model=WorkshopStats,
    responses={
        **_AUTH,
        400: {"model": ErrorBody, "description": "`since` or `until` is not a time."},
        422: {"model": ErrorBody},
    },
    dependencies=[Depends(require_roles("regulator", "platform"))],
)
def stats(
    db: DatabaseDep,
    services: ServicesDep,
    since: TimeFilter = None,
    until: TimeFilter = None,
    date_from: LocalDay = None,
    date_to: LocalDay = None,
) -> dict:
    """Per workshop, best first, in the period [since, until) or the local calendar days
    `date_from` to `date_to`: anchors, streams, flags, violations, blacklisted anchors and the
    compliance rate (compliant streams ÷ checked items; see `compliance_rate`)."""
    start, end = period(since, until, date_from, date_to, services.settings.timezone)
    rows = workshop_stats(db, start or "", end or "9999")
    return {"since": start, "until": end, "items": rows}
