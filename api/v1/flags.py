"""Flags: list and filter, one flag with its context, review decisions; a stream and its
recording. Regulators and platforms see every flag, an anchor key only its own; only a regulator
decides or plays a recording."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from api.core.auth import anchor_id_for, check_own, require_roles
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.schemas.common import (
    AnchorFilter,
    Limit,
    LocalDay,
    Offset,
    RecordId,
    TimeFilter,
    WorkshopFilter,
    period,
)
from api.v1.schemas.flags import (
    FlagConfirm,
    FlagDecision,
    FlagDecisionRequest,
    FlagDetail,
    FlagList,
    FlagStatusFilter,
    FlagUndo,
    Stream,
)
from monitor.errors import InputError
from monitor.review.decision_effects import with_credit_change
from monitor.review.decision_undo import undo_decision
from monitor.review.flags import decide_flag
from monitor.store.api_keys import ROLES, Principal
from monitor.store.flag_queries import count_flags, flag_detail, get_flag, get_stream, list_flags
from monitor.store.stream_views import recording_file

router = APIRouter(tags=["flags"])

Caller = Annotated[Principal, Depends(require_roles(*ROLES))]
Regulator = Annotated[Principal, Depends(require_roles("regulator"))]
_AUTH = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 422: {"model": ErrorBody}}
_NOT_FOUND = {404: {"model": ErrorBody}}


def flag_filters(
    caller: Caller,
    db: DatabaseDep,
    services: ServicesDep,
    stream: Annotated[str | None, Query(max_length=200)] = None,
    anchor: AnchorFilter = None,
    workshop: WorkshopFilter = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    status: FlagStatusFilter | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Text in the utterance, the anchor's id or name, or a platform account.",
        ),
    ] = None,
    date_from: LocalDay = None,
    date_to: LocalDay = None,
    since: TimeFilter = None,
    until: TimeFilter = None,
) -> dict[str, Any]:
    """The library's flag filters from the query; an anchor key is held to its own anchor."""
    if anchor is not None:
        anchor_id = anchor_id_for(caller, db, anchor)
    else:
        anchor_id = caller.anchor_id if caller.role == "anchor" else None
    first, last = period(since, until, date_from, date_to, services.settings.timezone)
    return {
        "status": status,
        "anchor_id": anchor_id,
        "stream_id": stream,
        "workshop_id": workshop,
        "category": category,
        "search": q,
        "since": first,
        "until": last,
    }


FlagFilters = Annotated[dict[str, Any], Depends(flag_filters)]


@router.get(
    "/v1/flags",
    response_model=FlagList,
    responses={
        **_AUTH,
        **_NOT_FOUND,
        400: {"model": ErrorBody, "description": "`since`, `until` or a date is not valid."},
    },
)
def flags(
    caller: Caller,
    db: DatabaseDep,
    filters: FlagFilters,
    order: Literal["risk", "time", "decided"] = "risk",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Flags, riskiest first (newest first with `order=time`, latest decision first with
    `order=decided`), filtered, each with its anchor's name and its decision; an anchor key sees
    only its own anchor's. `status=decided` gives confirmed and dismissed flags together;
    `date_from`/`date_to` are whole local calendar days (Beijing unless configured)."""
    items = list_flags(db, **filters, limit=limit, offset=offset, order=order)
    return {
        "items": [_flag_out(f) for f in items],
        "total": count_flags(db, **filters),
        "limit": limit,
        "offset": offset,
    }


@router.get("/v1/flags/{flag_id}", response_model=FlagDetail, responses={**_AUTH, **_NOT_FOUND})
def flag(flag_id: RecordId, caller: Caller, db: DatabaseDep) -> dict:
    """One flag with the sentence around the hit, the rule, its legal basis, the suggestion, the
    classifier's reasons, its stream and segment times, and the decision once taken."""
    _readable_flag(db, caller, flag_id)
    return _flag_out(flag_detail(db, flag_id))


@router.post(
    "/v1/flags/{flag_id}/decision",
    response_model=FlagDecision,
    responses={
        **_AUTH,
        **_NOT_FOUND,
        400: {"model": ErrorBody, "description": "Dismissal without a reason, unknown category."},
        409: {"model": ErrorBody, "description": "The flag was already decided."},
    },
)
def decide(
    flag_id: RecordId,
    body: FlagDecisionRequest,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
) -> dict:
    """Confirm (it becomes a violation and the anchor's credit changes) or dismiss (with a
    reason); the answer shows the anchor's credit before and after."""
    found = _readable_flag(db, caller, flag_id)
    confirm = isinstance(body, FlagConfirm)

    def decision() -> dict:
        return decide_flag(
            db,
            flag_id,
            confirm=confirm,
            reviewer=caller.actor,
            policy=services.policy,
            categories=services.checker.lexicon.categories,
            category=body.category if confirm else None,
            severity=body.severity if confirm else None,
            note=body.note,
            reason="" if confirm else body.reason,
        )

    result, before, after = with_credit_change(db, found["anchor_id"], services.policy, decision)
    result.pop("credit", None)
    return {
        **result,
        "anchor_id": found["anchor_id"],
        "credit_before": before,
        "credit_after": after,
    }


@router.post(
    "/v1/flags/{flag_id}/decision/undo",
    response_model=FlagUndo,
    responses={
        **_AUTH,
        **_NOT_FOUND,
        409: {
            "model": ErrorBody,
            "description": "Not decided, the undo window has passed, or the violation is under "
            "appeal.",
        },
    },
)
def undo(flag_id: RecordId, caller: Regulator, db: DatabaseDep, services: ServicesDep) -> dict:
    """Undo one's own decision within QINGLANG_REVIEW_UNDO_MINUTES (10 by default): the flag is
    open again, the violation it recorded is removed and the anchor's credit recomputed (all
    audited). 403 for another regulator's decision; 409 after the window (an appeal is the
    route then)."""
    _readable_flag(db, caller, flag_id)
    return undo_decision(
        db,
        flag_id,
        actor=caller.actor,
        policy=services.policy,
        window=services.settings.undo_window(),
    )


@router.get("/v1/streams/{stream_id}", response_model=Stream, responses={**_AUTH, **_NOT_FOUND})
def stream(stream_id: str, caller: Caller, db: DatabaseDep) -> dict:
    """A stream: its anchor, product, times, whether a recording is kept, its flags by status."""
    row = _readable_stream(db, caller, stream_id)
    return {**row, "has_media": row["media_path"] is not None}


@router.get(
    "/v1/streams/{stream_id}/media",
    response_class=FileResponse,
    responses={
        200: {"content": {"audio/*": {}, "video/*": {}}, "description": "The recording."},
        206: {"content": {"audio/*": {}, "video/*": {}}, "description": "The requested range."},
        416: {"description": "The range is outside the recording."},
        **_AUTH,
        404: {"model": ErrorBody, "description": "No such stream, or no recording kept."},
    },
)
def stream_media(
    stream_id: str, caller: Caller, db: DatabaseDep, services: ServicesDep
) -> FileResponse:
    """The stream's recording, with HTTP Range support so a player can seek to a flag (an anchor
    key: its own streams only)."""
    row = _readable_stream(db, caller, stream_id)
    path = recording_file(row["media_path"], services.settings.files_dir())
    if path is None:
        raise ApiError(
            404,
            "media_not_found",
            f"直播 {stream_id} 没有录音 / stream {stream_id} has no recording",
        )
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type)


def _readable_flag(db, caller: Principal, flag_id: int) -> dict[str, Any]:
    try:
        found = get_flag(db, flag_id)
    except InputError:
        raise ApiError(404, "flag_not_found", f"标记不存在 / no flag {flag_id}") from None
    check_own(caller, found["anchor_id"])
    return found


def _readable_stream(db, caller: Principal, stream_id: str) -> dict[str, Any]:
    try:
        row = get_stream(db, stream_id)
    except InputError:
        raise ApiError(404, "stream_not_found", f"直播不存在 / no stream {stream_id}") from None
    check_own(caller, row["anchor_id"])
    return row


def _flag_out(found: dict[str, Any]) -> dict[str, Any]:
    return {**found, "reasons": found["hit"].get("reasons", [])}
