"""The regulator's review queue: open flags riskiest first (or decided ones with their decisions),
searched and filtered, 50 a page, one in a detail pane (api/ui/flag_detail.py), decided by click
or keyboard through `monitor.review.flags.decide_flag`; after a decision the queue and the next flag
come back at once (htmx), with the anchor's credit before → after and an undo button
(`monitor.review.decision_undo`) for the window the settings give."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any, NamedTuple

import sqlite_utils
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import FileResponse

from api.core.context import DatabaseDep, Services, ServicesDep
from api.ui.auth import UiCaller, ui_roles
from api.ui.flag_detail import flag_detail_pane
from api.ui.render import HtmlErrorRoute, UiError, render
from api.ui.views.queue_filter import QUEUE_SIZE, VIEWS, QueueFilter, QueueFilterDep
from monitor.credit.service import anchor_credit
from monitor.errors import InputError, NotPermitted, StateConflict
from monitor.lexicon.entries import SEVERITIES
from monitor.review.decision_undo import undo_deadline, undo_decision
from monitor.review.flags import decide_flag
from monitor.store.flag_queries import count_flags, get_flag, list_flags
from monitor.store.registry import id_names
from monitor.store.stream_views import find_stream, recording_file

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
Regulator = Annotated[UiCaller, Depends(ui_roles("regulator"))]
AnyRole = Annotated[UiCaller, Depends(ui_roles("regulator", "platform", "anchor"))]


class Queue(NamedTuple):
    flags: list[dict[str, Any]]
    total: int


def _queue(db: sqlite_utils.Database, services: Services, where: QueueFilter) -> Queue:
    """One page of the flags the filters select, and how many they select in all."""
    filters = where.library_filters(services.settings.timezone)
    flags = list_flags(
        db,
        **filters,
        order=where.order,
        limit=QUEUE_SIZE,
        offset=(where.page - 1) * QUEUE_SIZE,
    )
    return Queue(flags, count_flags(db, **filters))


def _page_context(
    db: sqlite_utils.Database,
    services: Services,
    caller: UiCaller,
    where: QueueFilter,
    selected: int | None,
) -> dict[str, Any]:
    queue = _queue(db, services, where)
    if selected is None and queue.flags:
        selected = queue.flags[0]["id"]
    return {
        "queue": queue.flags,
        "total": queue.total,
        "pages": max(1, -(-queue.total // QUEUE_SIZE)),
        "page_size": QUEUE_SIZE,
        "views": VIEWS,
        "where": where,
        "detail": flag_detail_pane(db, services, caller, selected)
        if selected is not None
        else None,
        "categories": services.checker.lexicon.categories,
        "severities": SEVERITIES,
        "workshops": id_names(db, "workshops"),
        "anchors": id_names(db, "anchors"),
    }


def _flag_or_404(db: sqlite_utils.Database, flag_id: int) -> None:
    try:
        get_flag(db, flag_id)
    except InputError as exc:
        raise UiError(404, str(exc)) from None


@router.get("/ui/review")
def review_page(
    request: Request,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
    where: QueueFilterDep,
) -> Response:
    return render(request, "review.html", _page_context(db, services, caller, where, None))


@router.get("/ui/review/flags/{flag_id}")
def flag_pane(
    request: Request,
    flag_id: int,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
    where: QueueFilterDep,
) -> Response:
    """One flag: the detail pane alone for htmx, else the queue page with it selected."""
    _flag_or_404(db, flag_id)
    if request.headers.get("HX-Request"):
        context = {
            "detail": flag_detail_pane(db, services, caller, flag_id),
            "where": where,
            "categories": services.checker.lexicon.categories,
            "severities": SEVERITIES,
        }
        return render(request, "_flag_detail.html", context)
    return render(request, "review.html", _page_context(db, services, caller, where, flag_id))


@router.post("/ui/review/flags/{flag_id}/decision")
def decide(
    request: Request,
    flag_id: int,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
    decision: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    filters: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Confirm or dismiss; answers the queue with the next flag selected and the outcome shown."""
    _flag_or_404(db, flag_id)
    where = QueueFilter.parse(filters)
    before_queue = [flag["id"] for flag in _queue(db, services, where).flags]
    flag = get_flag(db, flag_id)
    try:
        if decision not in ("confirm", "dismiss"):
            raise InputError("请选择确认或驳回 / choose confirm or dismiss")
        before = (
            anchor_credit(db, flag["anchor_id"], services.policy) if flag["anchor_id"] else None
        )
        result = decide_flag(
            db,
            flag_id,
            confirm=decision == "confirm",
            reviewer=caller.reviewer,
            policy=services.policy,
            categories=list(services.checker.lexicon.categories),
            category=category or None,
            severity=severity or None,
            note=note,
            reason=reason,
        )
    except InputError as exc:
        context = _page_context(db, services, caller, where, flag_id)
        context["error"] = str(exc)
        context["form"] = {"category": category, "severity": severity, "note": note}
        return render(request, "_queue.html", context, status=400)
    after_queue = [flag["id"] for flag in _queue(db, services, where).flags]
    position = before_queue.index(flag_id) if flag_id in before_queue else 0
    following = [i for i in before_queue[position + 1 :] if i in after_queue]
    selected = following[0] if following else (after_queue[-1] if after_queue else None)
    context = _page_context(db, services, caller, where, selected)
    context["outcome"] = _outcome(services, flag, result, before)
    page = "_queue.html" if request.headers.get("HX-Request") else "review.html"
    return render(request, page, context)


@router.post("/ui/review/flags/{flag_id}/undo")
def undo(
    request: Request,
    flag_id: int,
    caller: Regulator,
    db: DatabaseDep,
    services: ServicesDep,
    filters: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Undo one's own decision within the window: the queue comes back with the flag open again
    and selected, and the credit it gives back; a refusal says why (after the window: appeal)."""
    _flag_or_404(db, flag_id)
    where = QueueFilter.parse(filters)
    page = "_queue.html" if request.headers.get("HX-Request") else "review.html"
    try:
        result = undo_decision(
            db,
            flag_id,
            actor=caller.reviewer,
            policy=services.policy,
            window=services.settings.undo_window(),
        )
    except (StateConflict, NotPermitted) as exc:
        context = _page_context(db, services, caller, where, flag_id)
        context["error"] = str(exc)
        return render(request, page, context, status=403 if isinstance(exc, NotPermitted) else 409)
    context = _page_context(db, services, caller, where, flag_id)
    grades = {grade.id: grade for grade in services.policy.grades}
    context["undone"] = {
        **result,
        "anchor_name": context["detail"]["flag"]["anchor_name"],
        "before": _graded(grades, result["credit_before"]),
        "after": _graded(grades, result["credit_after"]),
    }
    return render(request, page, context)


def _graded(grades: dict[str, Any], snapshot: dict | None) -> dict | None:
    return snapshot and {**snapshot, "grade": grades[snapshot["grade"]]}


def _outcome(services: Services, flag: dict, result: dict, before) -> dict[str, Any]:
    grades = {grade.id: grade for grade in services.policy.grades}
    window = services.settings.undo_window()
    outcome = {
        "flag_id": flag["id"],
        "decision": result["decision"],
        "anchor_id": None,
        "undo_until": undo_deadline(result["decided_at"], window) if window else None,
    }
    if result["decision"] == "confirm" and before is not None:
        after = result["credit"]
        outcome.update(
            anchor_id=flag["anchor_id"],
            anchor_name=flag["anchor_name"],
            violation_id=result["violation_id"],
            score_before=before.score,
            score_after=after["score"],
            grade_before=grades[before.grade],
            grade_after=grades[after["grade"]],
            blacklisted=after["blacklisted"],
        )
    return outcome


@router.get("/ui/streams/{stream_id}/media")
def stream_media(
    stream_id: str, caller: AnyRole, db: DatabaseDep, services: ServicesDep
) -> Response:
    """A stream's recording, with Range support so the player can seek to the flagged second;
    an anchor key hears only its own streams (403 for any other, existing or not)."""
    stream = find_stream(db, stream_id)
    if caller.role == "anchor" and (stream is None or stream["anchor_id"] != caller.anchor_id):
        raise UiError(403, "主播账号只能收听本人的直播 / an anchor key hears only its own streams")
    if stream is None:
        raise UiError(404, f"直播不存在 / no stream {stream_id}")
    path = recording_file(stream["media_path"], services.settings.files_dir())
    if path is None:
        raise UiError(404, f"该直播没有录音 / stream {stream_id} has no recording")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type)
