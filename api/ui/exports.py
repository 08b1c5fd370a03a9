"""CSV downloads from the web UI (a regulator's login cookie): the review queue's flags with its
filters, violations, workshop statistics. The same library calls and files as /v1/exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.core.context import DatabaseDep, ServicesDep
from api.ui.auth import UiCaller, ui_roles
from api.ui.render import HtmlErrorRoute
from api.ui.views.queue_filter import QueueFilterDep
from api.ui.workshops import PeriodDep
from api.v1.exports import flags_download, violations_download, workshops_download

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
Regulator = Annotated[UiCaller, Depends(ui_roles("regulator"))]
Text = Annotated[str, Query(max_length=200)]


@router.get("/ui/exports/flags.csv")
def export_flags(
    caller: Regulator, db: DatabaseDep, services: ServicesDep, where: QueueFilterDep
) -> Response:
    """The review queue's flags as filtered, every page."""
    return flags_download(db, services, where.library_filters(services.settings.timezone))


@router.get("/ui/exports/violations.csv")
def export_violations(
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
    workshop: Text = "",
    anchor: Text = "",
    category: Text = "",
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    return violations_download(
        db,
        services,
        date_from,
        date_to,
        anchor_id=anchor or None,
        workshop_id=workshop or None,
        category=category or None,
    )


@router.get("/ui/exports/workshops.csv")
def export_workshops(
    caller: Regulator, db: DatabaseDep, services: ServicesDep, period: PeriodDep
) -> Response:
    """The workshop dashboard's statistics for its period."""
    return workshops_download(db, services, period.first, period.last)
