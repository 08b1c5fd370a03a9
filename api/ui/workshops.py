"""The workshop dashboard (工坊看板): workshops ranked by compliance rate over a period the user
picks (the last 7, 30 or 90 local calendar days, all time, or custom dates), with what the rate
counts beside it (monitor.credit.workshop_stats), charts, anchors by grade, and a CSV download."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Depends, Query, Request, Response

from api.core.context import DatabaseDep, ServicesDep
from api.ui.auth import UiCaller, ui_roles
from api.ui.render import HtmlErrorRoute, render
from api.ui.views.charts import bar_chart, stacked_bar
from monitor.credit.workshop_stats import anchors_by_grade, workshop_stats
from monitor.errors import InputError
from monitor.local_time import day_bounds, local_today, parse_day

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
Supervisor = Annotated[UiCaller, Depends(ui_roles("regulator", "platform"))]
PERIODS = {
    "7": ("近 7 天", "last 7 days"),
    "30": ("近 30 天", "last 30 days"),
    "90": ("近 90 天", "last 90 days"),
    "all": ("全部", "all time"),
}
DEFAULT_PERIOD = "30"


class Period(NamedTuple):
    """The days the dashboard counts: a preset (`key`) or custom dates; None leaves a side open."""

    key: str
    first: date | None
    last: date | None

    def query(self) -> str:
        if self.key != "custom":
            return f"days={self.key}"
        return f"date_from={self.first or ''}&date_to={self.last or ''}"


def dashboard_period(
    services: ServicesDep,
    days: Annotated[str, Query(max_length=8)] = DEFAULT_PERIOD,
    date_from: Annotated[str, Query(max_length=10)] = "",
    date_to: Annotated[str, Query(max_length=10)] = "",
) -> Period:
    """Custom dates when given, else the preset `days`, ending today (local calendar)."""
    if date_from.strip() or date_to.strip():
        first = parse_day(date_from) if date_from.strip() else None
        last = parse_day(date_to) if date_to.strip() else None
        day_bounds(first, last, services.settings.timezone)  # refuses a backwards range
        return Period("custom", first, last)
    if days not in PERIODS:
        raise InputError(f"未知统计期 / unknown period {days!r} (known: {', '.join(PERIODS)})")
    if days == "all":
        return Period("all", None, None)
    today = local_today(services.settings.timezone)
    return Period(days, today - timedelta(days=int(days) - 1), today)


PeriodDep = Annotated[Period, Depends(dashboard_period)]


@router.get("/ui/workshops")
def workshops_page(
    request: Request, caller: Supervisor, db: DatabaseDep, services: ServicesDep, period: PeriodDep
) -> Response:
    """Workshops ranked by compliance rate in the period, with a bar chart, what the rate counts
    and each one's anchors by grade (now)."""
    policy = services.policy
    since, until = day_bounds(period.first, period.last, services.settings.timezone)
    stats = workshop_stats(db, since or "", until or "9999")
    counts = anchors_by_grade(db, policy.grades[0].id)
    for row in stats:
        mine = counts.get(row["workshop_id"], {})
        row["by_grade"] = [(g, mine.get(g.id, 0)) for g in policy.grades]
        row["grade_bar"] = stacked_bar([(g.name, g.colour, n) for g, n in row["by_grade"]])
    chart = bar_chart([(row["name"], row["compliance_rate"]) for row in stats])
    most = max([row["violations"] for row in stats] + [1])
    violations = bar_chart(
        [(row["name"], row["violations"]) for row in stats],
        maximum=most,
        unit=" 起",
        colour="#C62828",
    )
    context = {
        "stats": stats,
        "chart": chart,
        "violations_chart": violations,
        "grades": policy.grades,
        "period": period,
        "periods": PERIODS,
    }
    return render(request, "workshops.html", context)
