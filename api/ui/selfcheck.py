"""The self-check page (any logged-in key; an anchor's main page): paste a script or upload one
(.txt/.md, .docx, captions .srt/.vtt/.ass/.jsonl), see every hit highlighted with its category,
rule, law, explanation and suggestion, and copy a corrected version. A product class brings its
laws; a registered product (an anchor's own: its workshop's, or one its streams or scripts were
about) also has origin and certification claims checked against its registered facts. The check
runs through `routes_check.check_one`, so the API's text limit and check slots apply. An anchor key
may then submit the checked script for pre-review (`monitor.review.prereview.submit_script`) with one
button, and sees its submitted scripts with their status and the regulator's comments."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from api.core.check_slots import check_slot
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, input_error_status
from api.core.limits import check_text_length, check_text_size
from api.ui.auth import UiCaller, ui_roles
from api.ui.render import HtmlErrorRoute, render
from api.ui.views.highlight import pieces
from api.v1.check import check_one
from monitor.checking.corrected_copy import corrected_copy
from monitor.checking.detectors.fact_rules import ProductFacts, named_certifications
from monitor.checking.timed_check import TimedText
from monitor.errors import InputError
from monitor.review.prereview import submit_script
from monitor.sizes import readable_size
from monitor.sources.captions import captions_from_text
from monitor.sources.docx_input import DocxLimits, docx_text
from monitor.sources.text_input import TEXT_SUFFIXES, decode_text
from monitor.store.store_lists import list_products, list_scripts

CAPTION_SUFFIXES = (".srt", ".vtt", ".ass", ".ssa", ".jsonl")
MY_SCRIPTS = 10  # an anchor's latest submitted scripts listed under the form
PRODUCTS = 200  # registered products offered in the form's list
ACCEPTED = ", ".join(sorted({*TEXT_SUFFIXES - {""}, ".docx", *CAPTION_SUFFIXES}))

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
Anyone = Annotated[UiCaller, Depends(ui_roles("regulator", "platform", "anchor"))]
AnchorKey = Annotated[UiCaller, Depends(ui_roles("anchor"))]


def _my_scripts(db, caller: UiCaller) -> list[dict] | None:
    """An anchor key's latest submitted scripts; None for other roles."""
    if caller.role != "anchor":
        return None
    return list_scripts(db, anchor_id=caller.anchor_id, limit=MY_SCRIPTS)[0]


def _products(db, caller: UiCaller) -> list[dict]:
    """The products the caller may check a script for: an anchor's own, or every product."""
    anchor = caller.anchor_id if caller.role == "anchor" else None
    return list_products(db, anchor_id=anchor, limit=PRODUCTS)[0]


def _chosen_product(products: list[dict], product_id: str) -> dict | None:
    """The chosen product among those offered, or None when none was chosen."""
    if not product_id:
        return None
    for product in products:
        if product["id"] == product_id:
            return {**product, "certifications": named_certifications(product["certifications"])}
    raise InputError(f"不是可选的登记产品 / {product_id!r} is not one of your registered products")


def _form_context(services, db, caller: UiCaller) -> dict:
    return {
        "products": _products(db, caller),
        "product_classes": services.checker.lexicon.product_classes,
        "accepted": ACCEPTED,
        "limit": readable_size(services.settings.max_text_bytes),
        "scripts": _my_scripts(db, caller),
    }


@router.get("/ui/self-check")
def self_check_page(
    request: Request, caller: Anyone, services: ServicesDep, db: DatabaseDep
) -> Response:
    return render(request, "self_check.html", _form_context(services, db, caller))


async def _uploaded_text(upload: UploadFile, limit: int, docx_limits: DocxLimits) -> str:
    """The text of an uploaded script or caption file, read up to `limit` bytes."""
    name = PurePath(upload.filename or "upload").name
    suffix = PurePath(name).suffix.lower()
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(
            413,
            "text_too_large",
            f"文件超过 {readable_size(limit)} 上限 / the file is larger than the limit of "
            f"{readable_size(limit)}",
        )
    if suffix == ".docx":
        # unzipping and parsing is CPU-bound: off the event loop
        return await run_in_threadpool(docx_text, data, name, docx_limits)
    if suffix in CAPTION_SUFFIXES:
        return TimedText.join(captions_from_text(decode_text(data, name), suffix, name)).text
    if suffix in TEXT_SUFFIXES:
        return decode_text(data, name)
    raise InputError(f"{name}: 不支持的文件类型 / unsupported file type (use {ACCEPTED})")


@router.post("/ui/self-check")
async def self_check(
    request: Request,
    caller: Anyone,
    services: ServicesDep,
    db: DatabaseDep,
    text: Annotated[str, Form()] = "",
    product_class: Annotated[str, Form()] = "",
    product: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The highlighted report; a problem with the input is shown in the page, in Chinese."""
    partial = bool(request.headers.get("HX-Request"))
    context = _form_context(services, db, caller)
    context.update(product_id=product, product_class=product_class)
    try:
        chosen = _chosen_product(context["products"], product)
        if file is not None and file.filename:
            settings = services.settings
            text = await _uploaded_text(file, settings.max_text_bytes, settings.docx_limits())
        if not text.strip():
            raise InputError("请粘贴话术或上传文件 / paste a script or upload a file")
        report = await _check(request, services, text, product_class or None, chosen)
    except (InputError, ApiError) as exc:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        status = exc.status_code if isinstance(exc, ApiError) else input_error_status(exc)
        context.update(error=message, text=text)
        return render(
            request, "_check_result.html" if partial else "self_check.html", context, status
        )
    hits = report["hits"]
    context.update(
        text=text,
        report=report,
        pieces=pieces(text, hits),
        corrected=corrected_copy(text, hits),
        categories=services.checker.lexicon.categories,
        counts={
            s: sum(1 for hit in hits if hit["severity"] == s) for s in ("high", "medium", "low")
        },
        product=chosen,
    )
    return render(request, "_check_result.html" if partial else "self_check.html", context)


def _known_class(services, product_class: str) -> str | None:
    """The product class the script was checked with, if it is one the lexicon knows."""
    return product_class if product_class in services.checker.lexicon.product_classes else None


async def _check(
    request: Request, services, text: str, product_class: str | None, product: dict | None
) -> dict:
    """check_one in the threadpool: it is CPU-bound and may wait for a check slot. A chosen
    product's registered class and facts take the place of the product class given."""
    facts = ProductFacts.from_record(product) if product else None
    if product:
        product_class = product["product_class"]
    return await run_in_threadpool(check_one, request, services, text, None, product_class, facts)


@router.post("/ui/self-check/submit")
def submit_for_prereview(
    request: Request,
    caller: AnchorKey,
    services: ServicesDep,
    db: DatabaseDep,
    text: Annotated[str, Form()] = "",
    product_class: Annotated[str, Form()] = "",
    product: Annotated[str, Form()] = "",
    require_approval: Annotated[str, Form()] = "",
) -> Response:
    """Submit the checked script for pre-review (checked again, stored, audited); answers its
    status, and the anchor's list of scripts (htmx), or the self-check page."""
    context = _form_context(services, db, caller)
    try:
        settings = services.settings
        check_text_size(text, settings.max_text_bytes)
        check_text_length(text, settings.api_max_check_chars, settings.api_max_batch_chars)
        chosen = _chosen_product(context["products"], product)
        with check_slot(request):
            submitted = submit_script(
                db,
                services.checker,
                services.policy,
                anchor=caller.anchor_id,
                text=text,
                submitted_by=caller.reviewer,
                require_approval=bool(require_approval),
                product_id=chosen["id"] if chosen else None,
                product_class=_known_class(services, product_class),
            )
    except (InputError, ApiError) as exc:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        status = exc.status_code if isinstance(exc, ApiError) else 400
        context["submit_error"] = message
    else:
        context["submitted"] = submitted
        context["scripts"] = _my_scripts(db, caller)
        status = 201
    if request.headers.get("HX-Request"):
        return render(request, "_script_submitted.html", context, status)
    return render(request, "self_check.html", context, status)
