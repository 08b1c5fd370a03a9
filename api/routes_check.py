"""`POST /v1/check`: the check report for a text, for any key (anchors use it to self-check)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from monitor.api_keys import ROLES, Principal
from monitor.profiles import find_profile

from .auth import require_roles
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
    },
)
def check_text(
    request: CheckRequest,
    services: ServicesDep,
    caller: Annotated[Principal, Depends(require_roles(*ROLES))],
) -> dict:
    """Check a text for banned advertising claims: verdict, risk, every hit with its legal basis
    and a compliant rewording, and a verdict per sentence."""
    check_text_size(request.text, services.settings.max_text_bytes)
    checker = services.checker
    profile = request.profile or services.settings.profile
    find_profile(checker.profiles, profile)
    classes = checker.lexicon.product_classes
    if request.product_class is not None and request.product_class not in classes:
        raise ApiError(
            400,
            "invalid_input",
            f"未知商品类别 / unknown product class {request.product_class!r} "
            f"(known: {', '.join(classes)})",
        )
    report = checker.check(request.text, profile=profile, product_class=request.product_class)
    return report.to_dict()
