"""`POST /v1/check`: the check report for a text, for any key (anchors use it to self-check)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from monitor.api_keys import ROLES, Principal
from monitor.profiles import find_profile

from .auth import require_roles
from .check_slots import check_slot
from .context import ServicesDep
from .errors import ApiError, ErrorBody
from .limits import check_text_size
from .schemas import CheckReport, CheckRequest

router = APIRouter(tags=["check"])


@router.post(
    "/v1/check",
    response_model=CheckReport,
    responses={
        400: {"model": ErrorBody, "description": "Unknown profile or product class."},
        401: {"model": ErrorBody},
        413: {"model": ErrorBody, "description": "Body or text over the limit."},
        422: {"model": ErrorBody},
        503: {"model": ErrorBody, "description": "Too many checks running; retry later."},
    },
)
def check_text(
    body: CheckRequest,
    request: Request,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require_roles(*ROLES))],
) -> dict:
    """Check a text for banned advertising claims: verdict, risk, every hit with its legal basis
    and a compliant rewording, and a verdict per sentence."""
    return check_one(request, services, body.text, body.profile, body.product_class)


def check_one(
    request: Request,
    services: ServicesDep,
    text: str,
    profile: str | None,
    product_class: str | None,
) -> dict:
    """The report for one text, with its limits applied (413, 400) and a check slot held; for
    every route that checks text."""
    check_text_size(text, services.settings.max_text_bytes)
    checker = services.checker
    profile = profile or services.settings.profile
    find_profile(checker.profiles, profile)
    classes = checker.lexicon.product_classes
    if product_class is not None and product_class not in classes:
        raise ApiError(
            400,
            "invalid_input",
            f"未知商品类别 / unknown product class {product_class!r} (known: {', '.join(classes)})",
        )
    with check_slot(request):
        report = checker.check(text, profile=profile, product_class=product_class)
    return report.to_dict()
