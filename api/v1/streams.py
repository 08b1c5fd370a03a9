"""The list of monitored streams, filtered and paged, for platforms and regulators (every
stream) and anchor keys (their own). One stream and its recording: api/v1/flags.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from api.core.auth import anchor_id_for, require_roles
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.schemas.common import AnchorFilter, Day, Limit, Offset, WorkshopFilter
from api.v1.schemas.flags import FlagStatus, StreamList
from monitor.local_time import day_start
from monitor.store.api_keys import ROLES, Principal
from monitor.store.db import now_iso
from monitor.store.stream_views import count_streams, list_streams

router = APIRouter(tags=["flags"])

Caller = Annotated[Principal, Depends(require_roles(*ROLES))]
LocalDate = Annotated[
    Day | None,
    Query(
        description="YYYY-MM-DD, a calendar day in the service's time zone (QINGLANG_TIMEZONE, "
        "Beijing time by default); inclusive."
    ),
]


@router.get(
    "/v1/streams",
    response_model=StreamList,
    responses={
        400: {"model": ErrorBody, "description": "`date_from` after `date_to`."},
        401: {"model": ErrorBody},
        403: {"model": ErrorBody, "description": "An anchor key asking about another anchor."},
        404: {"model": ErrorBody, "description": "No such anchor."},
        422: {"model": ErrorBody},
    },
)
def streams(
    caller: Caller,
    db: DatabaseDep,
    services: ServicesDep,
    anchor: AnchorFilter = None,
    workshop: WorkshopFilter = None,
    status: Annotated[
        Literal["live", "ended"] | None,
        Query(description="`live`: a live room is watching the stream now; `ended`: none is."),
    ] = None,
    date_from: LocalDate = None,
    date_to: LocalDate = None,
    has_flags: Annotated[bool | None, Query(description="With at least one flag, or none.")] = None,
    flag_status: Annotated[
        FlagStatus | None,
        Query(description="With at least one flag in this status (`open`: waiting for review)."),
    ] = None,
    has_media: Annotated[bool | None, Query(description="With a recording kept, or not.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Streams newest first (by start), with anchor, workshop, product, whether live, recording,
    segment count and flags by status. Dates are calendar days in the service's time zone, so a
    stream started at 2026-12-02T16:30Z is on 2026-12-03 in Beijing. An anchor key lists only its
    own streams."""
    if date_from and date_to and date_from > date_to:
        raise ApiError(
            400,
            "invalid_range",
            f"开始日期晚于结束日期 / date_from {date_from} is after date_to {date_to}",
        )
    if anchor is not None:
        anchor_id = anchor_id_for(caller, db, anchor)
    else:
        anchor_id = caller.anchor_id if caller.role == "anchor" else None
    zone = services.settings.timezone
    filters = {
        "anchor_id": anchor_id,
        "workshop_id": workshop,
        "live": None if status is None else status == "live",
        "started_since": _day_begins(date_from, "date_from", zone),
        "started_before": _day_begins(date_to, "date_to", zone, days_after=1),
        "has_flags": has_flags,
        "flag_status": flag_status,
        "has_media": has_media,
    }
    return {
        "items": list_streams(db, **filters, limit=limit, offset=offset),
        "total": count_streams(db, **filters),
    }


def _day_begins(day: date | None, field: str, zone: str, days_after: int = 0) -> str | None:
    """When the local day `days_after` days after `day` begins, as stored times are written; 422
    naming `field` for a day no UTC time holds (year 1 east of Greenwich, after 9999-12-31)."""
    if day is None:
        return None
    try:
        return now_iso(day_start(day + timedelta(days=days_after), zone))
    except OverflowError:
        raise ApiError(
            422,
            "invalid_request",
            f"日期超出范围 / {field} is out of range",
            [{"field": f"query.{field}", "problem": "out of range"}],
        ) from None
