"""The regulator's review queue: open flags riskiest first, one in a detail pane (the transcript
around the hit, the recording from the flagged second, the rule, the law, the classifier's
reasons), decided by click or keyboard through `monitor.review.decide_flag`; after a decision
the queue and the next flag come back at once (htmx), with the anchor's credit before → after."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any, NamedTuple

import sqlite_utils
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import FileResponse

from monitor.credit_service import anchor_credit
from monitor.errors import InputError
from monitor.flag_store import count_flags, get_flag, list_flags
from monitor.lexicon import SEVERITIES
from monitor.review import decide_flag
from monitor.stream_views import recording_file

from .context import DatabaseDep, Services, ServicesDep
from .ui_auth import UiCaller, check_csrf, ui_roles
from .ui_highlight import pieces
from .ui_queue_filter import QUEUE_SIZE, VIEWS, QueueFilter, QueueFilterDep
from .ui_render import HtmlErrorRoute, UiError, render

NEIGHBOURS = 3  # segments shown before and after the one with the hit

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


def _neighbours(db: sqlite_utils.Database, flag: dict[str, Any]) -> list[dict[str, Any]]:
    """The stream's segments around the hit; the one holding it is marked `current`."""
    if not flag["stream_id"]:
        return []
    rows = list(
        db.query(
            "SELECT id, seq, start_s, end_s, text FROM segments WHERE stream_id = ? ORDER BY seq",
            [flag["stream_id"]],
        )
    )
    if not rows:
        return []
    here = next((i for i, row in enumerate(rows) if row["id"] == flag["segment_id"]), None)
    if here is None and flag["time_start"] is not None:
        starts = [i for i, row in enumerate(rows) if row["start_s"] <= flag["time_start"]]
        here = starts[-1] if starts else 0
    if here is None:
        here = next((i for i, row in enumerate(rows) if flag["text"] in row["text"]), 0)
    shown = rows[max(0, here - NEIGHBOURS) : here + NEIGHBOURS + 1]
    for row in shown:
        row["current"] = row is rows[here]
        at = row["text"].find(flag["text"]) if row["current"] else -1
        row["parts"] = (
            [
                (row["text"][:at], False),
                (flag["text"], True),
                (row["text"][at + len(flag["text"]) :], False),
            ]
            if at >= 0
            else [(row["text"], False)]
        )
    return shown


def _has_media(db: sqlite_utils.Database, stream_id: str | None) -> bool:
    if not stream_id:
        return False
    row = db.execute("SELECT media_path FROM streams WHERE id = ?", [stream_id]).fetchone()
    return bool(row and row[0])


def _detail(db: sqlite_utils.Database, services: Services, flag_id: int) -> dict[str, Any]:
    flag = get_flag(db, flag_id)
    hits = [{"start": h["start"], "end": h["end"], "severity": h["severity"]} for h in flag["hits"]]
    return {
        "flag": flag,
        "context_pieces": pieces(flag["context"], hits),
        "neighbours": _neighbours(db, flag),
        "has_media": _has_media(db, flag["stream_id"]),
        "category_name": services.checker.lexicon.categories.get(flag["category"]),
    }


def _page_context(
    db: sqlite_utils.Database, services: Services, where: QueueFilter, selected: int | None
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
        "detail": _detail(db, services, selected) if selected is not None else None,
        "categories": services.checker.lexicon.categories,
        "severities": SEVERITIES,
        "workshops": list(db.query("SELECT id, name FROM workshops ORDER BY id")),
        "anchors": list(db.query("SELECT id, name FROM anchors ORDER BY id")),
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
    return render(request, "review.html", _page_context(db, services, where, None))


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
            "detail": _detail(db, services, flag_id),
            "where": where,
            "categories": services.checker.lexicon.categories,
            "severities": SEVERITIES,
        }
        return render(request, "_flag_detail.html", context)
    return render(request, "review.html", _page_context(db, services, where, flag_id))


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
    csrf: Annotated[str, Form()] = "",
    filters: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Confirm or dismiss; answers the queue with the next flag selected and the outcome shown."""
    check_csrf(request, caller, csrf)
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
        context = _page_context(db, services, where, flag_id)
        context["error"] = str(exc)
        context["form"] = {"category": category, "severity": severity, "note": note}
        return render(request, "_queue.html", context, status=400)
    after_queue = [flag["id"] for flag in _queue(db, services, where).flags]
    position = before_queue.index(flag_id) if flag_id in before_queue else 0
    following = [i for i in before_queue[position + 1 :] if i in after_queue]
    selected = following[0] if following else (after_queue[-1] if after_queue else None)
    context = _page_context(db, services, where, selected)
    context["outcome"] = _outcome(services, flag, result, before)
    page = "_queue.html" if request.headers.get("HX-Request") else "review.html"
    return render(request, page, context)


def _outcome(services: Services, flag: dict, result: dict, before) -> dict[str, Any]:
    grades = {grade.id: grade for grade in services.policy.grades}
    outcome = {"flag_id": flag["id"], "decision": result["decision"], "anchor_id": None}
    if result["decision"] == "confirm" and before is not None:
        after = result["credit"]
        outcome.update(
            anchor_id=flag["anchor_id"],
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
    row = db.execute(
        "SELECT media_path, anchor_id FROM streams WHERE id = ?", [stream_id]
    ).fetchone()
    if caller.role == "anchor" and (row is None or row[1] != caller.anchor_id):
        raise UiError(403, "主播账号只能收听本人的直播 / an anchor key hears only its own streams")
    if row is None:
        raise UiError(404, f"直播不存在 / no stream {stream_id}")
    path = recording_file(row[0], services.settings.files_dir())
    if path is None:
        raise UiError(404, f"该直播没有录音 / stream {stream_id} has no recording")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type)
