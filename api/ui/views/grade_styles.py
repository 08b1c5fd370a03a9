"""The credit policy's grade colours as a stylesheet (`.grade-bg-<id>`), so pages colour grade
badges with a class instead of an inline style (the Content-Security-Policy allows no inline
style). Only a colour written as #hex or a colour name is emitted: the policy is data, and this
answer must never carry other CSS."""

from __future__ import annotations

import re

from fastapi import APIRouter, Response

from api.core.context import ServicesDep
from api.ui.render import HtmlErrorRoute
from monitor.credit.policy import CreditPolicy

_GRADE_ID = re.compile(r"[A-Za-z0-9_-]+")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{3,8}|[A-Za-z]+")

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)


def grade_styles(policy: CreditPolicy) -> str:
    """One rule per grade whose id and colour are safe to write into CSS."""
    return "".join(
        f".grade-bg-{g.id} {{ background: {g.colour}; }}\n"
        for g in policy.grades
        if _GRADE_ID.fullmatch(g.id) and _COLOUR.fullmatch(g.colour)
    )


@router.get("/ui/grades.css")
def grade_stylesheet(services: ServicesDep) -> Response:
    return Response(grade_styles(services.policy), media_type="text/css")
