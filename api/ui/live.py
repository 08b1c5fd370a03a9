"""The web UI's live monitoring page (实时监测): the live rooms a user may see, active first, each
with its latest events (results with verdict and hits, gaps, stops), refreshed every 3 s by htmx
polling a fragment. With a broker (issue 15) each room shows the worker holding it, or that it
waits for one, and the page lists the workers alive. A regulator or platform starts a room for a stream URL through the same call
as `POST /v1/live/rooms` (so the URL policy and the room limit apply) and stops a room.

Who sees what is the API's rule: a regulator every room, a platform key the rooms it started,
an anchor key its anchor's rooms.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import sqlite_utils
from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError
from api.ui.auth import UiCaller, ui_roles
from api.ui.render import HtmlErrorRoute, UiError, render
from api.v1.live import create_room
from api.v1.schemas.jobs import RoomCreate
from monitor.broker.status import broker_status
from monitor.errors import InputError
from monitor.store.registry import id_names
from monitor.store.stream_views import live_room_views

ROOMS_SHOWN = 30  # rooms listed, active first then newest
EVENTS_SHOWN = 6  # latest events shown per room
CHANGED = "live-rooms-changed"  # htmx event: the room list should refresh now

router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
Viewer = Annotated[UiCaller, Depends(ui_roles("regulator", "platform", "anchor"))]
Supervisor = Annotated[UiCaller, Depends(ui_roles("regulator", "platform"))]


def _scope(caller: UiCaller) -> dict[str, Any]:
    if caller.role == "anchor":
        return {"anchor_id": caller.anchor_id}
    if caller.role == "platform":
        return {"owner_key_id": caller.principal.key_id}
    return {}


def _rooms_context(request: Request, db: sqlite_utils.Database, caller: UiCaller) -> dict[str, Any]:
    """The rooms; with a broker also the workers alive (a regulator sees them all, others the
    ones holding their rooms) and whether the broker answers."""
    rooms = live_room_views(db, limit=ROOMS_SHOWN, events=EVENTS_SHOWN, **_scope(caller))
    client = request.app.state.broker
    broker = None
    if client is not None:
        broker = broker_status(client, request.app.state.services.settings.broker_url, time.time())
        if caller.role != "regulator":
            mine = {room["worker"] for room in rooms}
            broker["workers"] = [w for w in broker["workers"] if w["worker"] in mine]
    return {
        "rooms": rooms,
        "active": sum(room["state"] == "active" for room in rooms),
        "may_stop": caller.role in ("regulator", "platform"),
        "broker": broker,
    }


def _page(
    request: Request,
    db: sqlite_utils.Database,
    caller: UiCaller,
    start: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    context = {
        **_rooms_context(request, db, caller),
        "start": start or {},
        "may_start": caller.role in ("regulator", "platform"),
        "anchors": id_names(db, "anchors"),
    }
    return render(request, "live.html", context, status)


@router.get("/ui/live")
def live_page(request: Request, caller: Viewer, db: DatabaseDep) -> Response:
    return _page(request, db, caller)


@router.get("/ui/live/rooms")
def live_rooms_fragment(request: Request, caller: Viewer, db: DatabaseDep) -> Response:
    """The room list alone: htmx polls it every 3 s."""
    return render(request, "_live_rooms.html", _rooms_context(request, db, caller))


@router.post("/ui/live/rooms")
def start_room(
    request: Request,
    caller: Supervisor,
    db: DatabaseDep,
    services: ServicesDep,
    anchor: Annotated[str, Form()] = "",
    stream: Annotated[str, Form()] = "",
    source_url: Annotated[str, Form()] = "",
) -> Response:
    """Start watching a stream URL; refusals (URL policy, room limit, unknown anchor) are shown
    in the form, in Chinese first."""
    form = {"anchor": anchor, "stream": stream.strip(), "source_url": source_url.strip()}
    try:
        if not form["anchor"]:
            raise InputError("请选择主播 / choose an anchor")
        if not form["source_url"]:
            raise InputError("请填写直播地址 / enter the stream URL")
        body = RoomCreate(
            anchor=form["anchor"], stream=form["stream"] or None, source_url=form["source_url"]
        )
        room = create_room(body, request, db, services, caller.principal)
    except ValidationError as exc:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        return _refused(request, db, caller, form, f"输入无效 / invalid input: {fields}", 400)
    except ApiError as exc:
        return _refused(request, db, caller, form, exc.message, exc.status_code)
    except InputError as exc:
        return _refused(request, db, caller, form, str(exc), 400)
    started = {"room_id": room["id"], "stream_id": room["stream_id"]}
    if request.headers.get("HX-Request"):
        response = render(request, "_live_start.html", _start_context(db, {"started": started}))
        response.headers["HX-Trigger"] = CHANGED
        return response
    return RedirectResponse("/ui/live", status_code=303)


def _start_context(db: sqlite_utils.Database, start: dict[str, Any]) -> dict[str, Any]:
    anchors = id_names(db, "anchors")
    return {"start": start, "anchors": anchors}


def _refused(
    request: Request,
    db: sqlite_utils.Database,
    caller: UiCaller,
    form: dict[str, str],
    message: str,
    status: int,
) -> Response:
    start = {**form, "error": message}
    if request.headers.get("HX-Request"):
        return render(request, "_live_start.html", _start_context(db, start), status)
    return _page(request, db, caller, start, status)


@router.post("/ui/live/rooms/{room_id}/stop")
def stop_room(
    request: Request,
    room_id: int,
    caller: Supervisor,
    db: DatabaseDep,
) -> Response:
    """Stop a room the caller may see: what it heard is checked and recorded (already stopped:
    nothing to do)."""
    rooms = getattr(request.app.state, "live_rooms", None)
    if rooms is None:
        raise UiError(503, "直播监测未启动 / live rooms are not running")
    room = rooms.get(room_id)
    scope = _scope(caller)
    if room is None or any(room[column] != value for column, value in scope.items()):
        raise UiError(404, f"直播间不存在 / no room {room_id}")
    if room["state"] == "active":
        rooms.stop_room(room_id, actor=caller.principal.actor)
    if request.headers.get("HX-Request"):
        return render(request, "_live_rooms.html", _rooms_context(request, db, caller))
    return RedirectResponse("/ui/live", status_code=303)
