"""CSV exports for regulators (`monitor.review.exports`): flags with the filters of `GET /v1/flags`,
violations, workshop statistics (`monitor.credit.workshop_stats`). UTF-8 with a byte-order mark (Excel opens Chinese correctly),
times in the service's zone."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import sqlite_utils
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.core.auth import anchor_id_for, require_roles
from api.core.context import DatabaseDep, Services, ServicesDep
from api.core.errors import ErrorBody
from api.v1.flags import FlagFilters
from api.v1.schemas.common import AnchorFilter, LocalDay, WorkshopFilter
from monitor.credit.workshop_stats import workshop_stats
from monitor.local_time import day_bounds, local_today
from monitor.review.exports import MAX_EXPORT_ROWS, flags_csv, violations_csv, workshops_csv
from monitor.store.api_keys import Principal

router = APIRouter(tags=["exports"])

Regulator = Annotated[Principal, Depends(require_roles("regulator"))]
_CSV = {
    200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with a byte-order mark."},
    400: {"model": ErrorBody, "description": f"A bad filter, or more than {MAX_EXPORT_ROWS} rows."},
    401: {"model": ErrorBody},
    403: {"model": ErrorBody},
    404: {"model": ErrorBody, "description": "No such anchor."},
    422: {"model": ErrorBody},
}


def csv_response(text: str, name: str, day: date) -> Response:
    """A CSV download named like `qinglang-flags-20261203.csv`."""
    filename = f"qinglang-{name}-{day:%Y%m%d}.csv"
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def category_names(services: Services) -> dict[str, str]:
    return {cid: c.zh for cid, c in services.checker.lexicon.categories.items()}


def flags_download(db: sqlite_utils.Database, services: Services, filters: dict) -> Response:
    """The flags `filters` (the library's) select, as a CSV download."""
    zone = services.settings.timezone
    text = flags_csv(db, category_names(services), zone, **filters)
    return csv_response(text, "flags", local_today(zone))


def violations_download(
    db: sqlite_utils.Database,
    services: Services,
    first: date | str | None,
    last: date | str | None,
    **filters: str | None,
) -> Response:
    """The violations of the local calendar days `first` to `last` (and `filters`), as a CSV
    download."""
    zone = services.settings.timezone
    since, until = day_bounds(first, last, zone)
    text = violations_csv(db, category_names(services), zone, since=since, until=until, **filters)
    return csv_response(text, "violations", local_today(zone))


def workshops_download(
    db: sqlite_utils.Database, services: Services, first: date | None, last: date | None
) -> Response:
    """Workshop statistics for the local calendar days `first` to `last`, as a CSV download."""
    zone = services.settings.timezone
    since, until = day_bounds(first, last, zone)
    rows = workshop_stats(db, since or "", until or "9999")
    text = workshops_csv(rows, str(first or ""), str(last or ""))
    return csv_response(text, "workshops", local_today(zone))


@router.get("/v1/exports/flags.csv", response_class=Response, responses=_CSV)
def export_flags(
    caller: Regulator, db: DatabaseDep, services: ServicesDep, filters: FlagFilters
) -> Response:
    """Every flag the filters of `GET /v1/flags` select (no paging), newest first, with its
    decision (who, when, outcome, note)."""
    return flags_download(db, services, filters)


@router.get("/v1/exports/violations.csv", response_class=Response, responses=_CSV)
def export_violations(
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
    anchor: AnchorFilter = None,
    workshop: WorkshopFilter = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    date_from: LocalDay = None,
    date_to: LocalDay = None,
) -> Response:
    """Violations that occurred on the local calendar days given (all when none), newest first:
    origin, status (standing, under appeal, overturned), flag, stream, evidence."""
    return violations_download(
        db,
        services,
        date_from,
        date_to,
        anchor_id=anchor_id_for(caller, db, anchor) if anchor else None,
        workshop_id=workshop,
        category=category,
    )


@router.get("/v1/exports/workshops.csv", response_class=Response, responses=_CSV)
def export_workshops(
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
    date_from: LocalDay = None,
    date_to: LocalDay = None,
) -> Response:
    """Workshop statistics for the local calendar days given (all time when none): the ranking,
    the compliance rate and the counts it is made of."""
    return workshops_download(db, services, date_from, date_to)
