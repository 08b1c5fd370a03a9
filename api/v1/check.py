"""`POST /v1/check`: the check report for a text, for any key (anchors use it to self-check);
`POST /v1/check/batch`: many texts at once, a bad one reported in its place."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.core.auth import require_roles
from api.core.check_slots import check_slot
from api.core.context import ServicesDep
from api.core.errors import ApiError, ErrorBody, field_error
from api.core.limits import check_batch_length, check_text_length, check_text_size
from api.v1.schemas.check import CheckReport, CheckRequest
from api.v1.schemas.jobs import BatchItem, BatchRequest, BatchResponse
from monitor.checking.checker import Checker
from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.errors import InputError, LexiconError, UnknownProfileError
from monitor.lexicon.profiles import find_profile
from monitor.messages import label
from monitor.store.api_keys import ROLES, Principal

logger = logging.getLogger("qinglang")
router = APIRouter(tags=["check"])
AnyKey = Annotated[Principal, Depends(require_roles(*ROLES))]
_E = {"model": ErrorBody}


@router.post(
    "/v1/check",
    response_model=CheckReport,
    responses={
        401: {"model": ErrorBody},
        413: {
            "model": ErrorBody,
            "description": "Body or text over the limit (QINGLANG_API_MAX_CHECK_CHARS "
            "characters: split a longer script, e.g. into the items of a batch).",
        },
        422: {
            "model": ErrorBody,
            "description": "An invalid field; an unknown `profile` or `product_class` is named "
            "in `detail` with the known values.",
        },
        503: {"model": ErrorBody, "description": "Too many checks running; retry later."},
    },
)
def check_text(
    body: CheckRequest,
    request: Request,
    services: ServicesDep,
    caller: AnyKey,
) -> dict:
    """Check a text for banned advertising claims: verdict, risk, every hit with its legal basis
    and a compliant rewording, and a verdict per sentence."""
    return check_one(request, services, body.text, body.profile, body.product_class)


def require_known_class(checker: Checker, product_class: str | None) -> None:
    """422 naming `product_class` and the known classes when it is given and not one of them."""
    classes = checker.lexicon.product_classes
    if product_class is not None and product_class not in classes:
        message = label("request_error", "unknown_product_class", name=product_class, known=classes)
        raise field_error("product_class", message, classes)


def require_known_profile(checker: Checker, profile: str) -> None:
    """422 naming `profile` and the known profiles when it is not one of them."""
    try:
        find_profile(checker.profiles, profile)
    except UnknownProfileError as exc:
        raise field_error("profile", str(exc), exc.known) from None


def check_one(
    request: Request,
    services: ServicesDep,
    text: str,
    profile: str | None,
    product_class: str | None,
    facts: ProductFacts | None = None,
) -> dict:
    """The report for one text, with its limits applied (413, 422) and a check slot held; for
    every route that checks text. With a registered product's `facts`, origin and certification
    claims are checked against them."""
    settings = services.settings
    check_text_size(text, settings.max_text_bytes)
    check_text_length(text, settings.api_max_check_chars, settings.api_max_batch_chars)
    checker = services.checker
    profile = profile or services.settings.profile
    require_known_profile(checker, profile)
    require_known_class(checker, product_class)
    with check_slot(request):
        report = checker.check(text, profile=profile, product_class=product_class, facts=facts)
    return report.to_dict()


@router.post(
    "/v1/check/batch",
    response_model=BatchResponse,
    tags=["check"],
    responses={401: _E, 413: _E, 422: _E, 503: _E},
)
async def check_batch(
    body: BatchRequest, request: Request, services: ServicesDep, caller: AnyKey
) -> dict:
    """Check up to QINGLANG_API_MAX_BATCH texts of QINGLANG_API_MAX_BATCH_CHARS characters in all;
    a bad item's error is reported in its place. Checking stops when the client leaves."""
    limit = services.settings.api_max_batch
    if len(body.items) > limit:
        raise ApiError(
            413,
            "batch_too_large",
            f"批量检测最多 {limit} 条 / at most {limit} items in one batch ({len(body.items)})",
            {"limit_items": limit, "items": len(body.items)},
        )
    check_batch_length(body.items, services.settings.api_max_batch_chars)
    results = []
    for raw in body.items:
        if await request.is_disconnected():
            logger.info("batch check stopped after %d of %d items: the client left",
                        len(results), len(body.items))  # fmt: skip
            break
        results.append(await run_in_threadpool(_batch_result, raw, request, services))
    return {"results": results}


def _batch_result(raw: dict, request: Request, services) -> dict:
    """One item's report, or its error in its place (a 503 for a full service is raised)."""
    try:
        item = BatchItem.model_validate(raw)
    except ValidationError as exc:
        return {"id": _echo_id(raw), "error": _item_error(exc)}
    try:
        report = check_one(request, services, item.text, item.profile, item.product_class)
        return {"id": item.id, "report": report}
    except ApiError as exc:
        if exc.status_code == 503:
            raise
        return {
            "id": item.id,
            "error": {"error": exc.code, "message": exc.message, "detail": exc.extra},
        }
    except (InputError, LexiconError) as exc:
        return {"id": item.id, "error": {"error": "invalid_input", "message": str(exc)}}


def _echo_id(raw: dict) -> str | None:
    value = raw.get("id")
    return value if isinstance(value, str) and len(value) <= 200 else None


def _item_error(exc: ValidationError) -> dict:
    """A bad item's error, naming each field and what is wrong with it, Chinese first."""
    problems = [f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors()]
    fields = [str(e["loc"][0]) for e in exc.errors() if e["loc"]]
    return {
        "error": "invalid_item",
        "message": f"该条无法检测（{', '.join(fields) or '格式'}）/ item not checked: "
        + "; ".join(problems),
        "detail": {"fields": fields},
    }
