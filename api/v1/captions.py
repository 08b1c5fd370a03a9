"""Caption uploads: a caption file (SRT, WebVTT, ASS/SSA, JSON lines or text) checked with every
hit timed in the stream, and stored for review when an anchor and stream are named."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from api.core.auth import require_roles
from api.core.check_slots import check_slot
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.schemas.common import KNOWN_PROFILES, FormStreamId
from api.v1.schemas.jobs import CaptionReport
from api.workers.record_target import product_facts, record_target
from monitor.checking.timed_check import check_segments
from monitor.errors import InputError
from monitor.lexicon.profiles import find_profile
from monitor.sizes import readable_size
from monitor.sources.captions import CAPTION_FORMATS, captions_from_text
from monitor.sources.segments import Segment
from monitor.sources.text_input import TEXT_SUFFIXES, decode_text
from monitor.store.api_keys import ROLES, Principal
from monitor.store.flag_store import record_check

router = APIRouter(tags=["check"])
AnyKey = Annotated[Principal, Depends(require_roles(*ROLES))]
_E = {"model": ErrorBody}


@router.post(
    "/v1/captions",
    response_model=CaptionReport,
    tags=["check"],
    responses={400: _E, 401: _E, 403: _E, 404: _E, 413: _E, 415: _E, 422: _E, 503: _E},
)
def upload_captions(
    request: Request,
    services: ServicesDep,
    db: DatabaseDep,
    caller: AnyKey,
    file: Annotated[UploadFile, File(description="SRT, WebVTT, ASS/SSA, JSON lines or text.")],
    anchor: Annotated[str | None, Form(max_length=200)] = None,
    stream: Annotated[FormStreamId | None, Form()] = None,
    product: Annotated[str | None, Form(max_length=200)] = None,
    profile: Annotated[str, Form(max_length=100, json_schema_extra=KNOWN_PROFILES)] = "",
) -> dict:
    """Check a caption file: every hit with its time in the stream. With `anchor` and `stream`,
    the stream's segments and flags are stored for review (again: nothing is added twice)."""
    settings = services.settings
    name = Path(file.filename or "captions").name
    data = file.file.read(settings.max_text_bytes + 1)
    if len(data) > settings.max_text_bytes:
        raise ApiError(
            413,
            "text_too_large",
            f"字幕文件超过 {readable_size(settings.max_text_bytes)} 上限 / caption file larger "
            f"than the limit of {readable_size(settings.max_text_bytes)}",
            {"limit_bytes": settings.max_text_bytes},
        )
    segments = _caption_segments(data, name)
    anchor_id, stream_id = record_target(caller, db, anchor, stream)
    facts, product_class = product_facts(db, product)
    checker = services.checker
    profile = profile or settings.profile
    find_profile(checker.profiles, profile)
    with check_slot(request):
        timed = check_segments(
            checker, segments, profile=profile, product_class=product_class, facts=facts
        )
    flag_ids: list[int] = []
    if anchor_id and stream_id:
        flag_ids = record_check(
            db, timed.report, timed.timed.text, anchor_id=anchor_id, stream_id=stream_id,
            product_id=product, source=f"captions:{name}", segments=segments,
        )  # fmt: skip
    return {**timed.to_dict(), "stream_id": stream_id if flag_ids or anchor_id else None,
            "flag_ids": flag_ids}  # fmt: skip


def _caption_segments(data: bytes, name: str) -> list[Segment]:
    suffix = Path(name).suffix.lower()
    fmt = suffix.lstrip(".") if suffix.lstrip(".") in CAPTION_FORMATS else None
    if fmt is None and suffix not in TEXT_SUFFIXES:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"不支持的字幕文件类型 / unsupported caption file type {suffix!r} "
            "(use .srt, .vtt, .ass, .ssa, .jsonl or .txt)",
        )
    try:
        text = decode_text(data, name)
    except InputError as exc:
        if "binary" in str(exc):
            raise ApiError(415, "unsupported_media_type", str(exc)) from None
        raise
    fmt = fmt or _sniff(text)
    if fmt is None:  # plain text: one segment, no times
        return [Segment(0.0, 0.0, text.strip())]
    return captions_from_text(text, fmt, name)


def _sniff(text: str) -> str | None:
    head = text.lstrip("\ufeff \r\n\t")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("[Script Info]"):
        return "ass"
    if head.startswith("{"):
        return "jsonl"
    lines = head.splitlines()
    if len(lines) > 1 and lines[0].strip().isdigit() and "-->" in lines[1]:
        return "srt"
    return None
