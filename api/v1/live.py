"""Live rooms: monitor a stream URL, or take pushed caption lines (HTTP) and audio (WebSocket,
v1/live_audio.py); results come back at once and are kept as numbered events
(`/events?after=SEQ`).

Roles: platform and regulator keys; an anchor key only for its own anchor, and only for rooms it
pushes to (it may not make the service fetch a URL). A platform key sees the rooms it started,
an anchor key its anchor's, a regulator every room.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.core.auth import anchor_id_for, require_roles
from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.schemas.common import RecordId
from api.v1.schemas.jobs import (
    CaptionPush,
    CaptionResults,
    EventList,
    InputQueued,
    Room,
    RoomCreate,
    RoomList,
)
from api.workers.broker_background import broker_background
from api.workers.record_target import stream_conflict
from api.workers.speech import shared_transcriber
from monitor.broker.connect import client_for
from monitor.errors import MissingRecord, StateConflict
from monitor.lexicon.profiles import find_profile
from monitor.live.broker_rooms import BrokerRooms, BrokerUnavailable, NoWorker
from monitor.live.room_quotas import QuotaExceeded
from monitor.live.rooms import LiveRooms
from monitor.live.stored_rooms import RoomNotActive, RoomQuotaFull
from monitor.live.url_policy import check_source
from monitor.notify.outbox import enqueue_event
from monitor.sources.caption_text import join_lines
from monitor.sources.segments import Segment
from monitor.speech.asr_model import ModelUnavailable
from monitor.store.api_keys import Principal

router = APIRouter(tags=["live"])
Caller = Annotated[Principal, Depends(require_roles("regulator", "platform", "anchor"))]
_E = {"model": ErrorBody}
URL_ROOMS_NOT_FOR_ANCHORS = (
    "主播密钥不能让服务读取直播地址，请推送自己的音频或字幕 / an anchor key may not have the "
    "service fetch a stream URL (source_url); push the room's audio or captions instead"
)


def _rooms(services_app) -> LiveRooms | BrokerRooms:
    rooms = getattr(services_app.state, "live_rooms", None)
    if rooms is None:
        raise ApiError(503, "unavailable", "直播监测未启动 / live rooms are not running")
    return rooms


def room_visible(caller: Principal, room: dict | None) -> bool:
    if room is None:
        return False
    if caller.role == "regulator":
        return True
    if caller.role == "anchor":
        return room["anchor_id"] == caller.anchor_id
    return room["owner_key_id"] == caller.key_id


def _room(rooms: LiveRooms | BrokerRooms, caller: Principal, room_id: int) -> dict:
    room = rooms.get(room_id)
    if not room_visible(caller, room):
        raise ApiError(404, "room_not_found", f"直播间不存在 / no room {room_id}")
    return room


def _not_active(room_id: int) -> ApiError:
    return ApiError(
        409, "room_not_active", f"直播间 {room_id} 已结束 / room {room_id} is not active"
    )


def broker_unavailable() -> ApiError:
    """Redis does not answer: the client tries again shortly (everything else keeps working)."""
    return ApiError(
        503,
        "broker_unavailable",
        "任务队列暂不可用，请稍后重试 / the work broker is unavailable; try again shortly",
        headers={"Retry-After": "5"},
    )


def _no_worker(exc: NoWorker) -> ApiError:
    return ApiError(
        503,
        "no_worker",
        f"暂无可用的转写节点：已有直播间等待 {exc.waited_s:.1f} 秒 / no worker is free: a room "
        f"has waited {exc.waited_s:.1f} s for one (QINGLANG_ROOM_PLACEMENT_SECONDS "
        f"{exc.limit_s:g}); try again later",
        {"waited_s": round(exc.waited_s, 1), "placement_s": exc.limit_s},
        headers={"Retry-After": str(max(5, round(exc.limit_s)))},
    )


def queued(body: dict) -> JSONResponse:
    """202: pushed input queued for the room's worker (results appear as room events)."""
    return JSONResponse(status_code=202, content=body)


@router.post(
    "/v1/live/rooms",
    status_code=201,
    response_model=Room,
    responses={400: _E, 401: _E, 403: _E, 404: _E, 409: _E, 422: _E, 429: _E, 503: _E},
)
def create_room(
    body: RoomCreate, request: Request, db: DatabaseDep, services: ServicesDep, caller: Caller
) -> dict:
    """Start monitoring a room: a stream URL (`source_url`, watched by the service), or input
    pushed to it (caption lines, or audio over the WebSocket). 429 when a room quota is reached:
    `rooms_full` (QINGLANG_LIVE_MAX_ROOMS rooms active), `room_quota_key` (this key's rooms, by
    its role) or `room_quota_role` (the slots other roles may take: QINGLANG_LIVE_REGULATOR_ROOMS
    are kept for regulators); `detail` names the quota, its limit and the rooms counted now.
    A `stream` stored under another anchor: 409 `stream_conflict` (403 to an anchor key), as
    for uploads.
    `source_url` is for platform and regulator keys: an anchor key pushes its own audio or
    captions (403).
    With a broker (QINGLANG_BROKER_URL) the room is queued for a worker: the total room limit
    does not apply, the per-key ones do; 503 `no_worker` (with Retry-After) while a room has
    waited for a worker longer than QINGLANG_ROOM_PLACEMENT_SECONDS, 503 `broker_unavailable`
    when the broker does not answer."""
    if body.source_url and caller.role == "anchor":
        raise ApiError(403, "forbidden", URL_ROOMS_NOT_FOR_ANCHORS)
    rooms = _rooms(request.app)
    anchor_id = anchor_id_for(caller, db, body.anchor)
    if body.source_url:
        check_source(body.source_url, services.settings.watch_allow)
    find_profile(services.checker.profiles, body.profile or services.settings.profile)
    try:
        return rooms.create(
            owner_key_id=caller.key_id, owner_role=caller.role, anchor_id=anchor_id, stream_id=body.stream,
            product_id=body.product, profile=body.profile, source_url=body.source_url,
            actor=caller.actor,
        )  # fmt: skip
    except MissingRecord:
        raise ApiError(
            404, "product_not_found", f"产品不存在 / no product {body.product}"
        ) from None
    except StateConflict as exc:
        raise stream_conflict(caller, exc) from None
    except RoomQuotaFull as full:
        raise _quota_error(full.exceeded, caller.role) from None
    except ModelUnavailable as exc:
        raise ApiError(503, "asr_unavailable", str(exc)) from None
    except NoWorker as exc:
        raise _no_worker(exc) from None
    except BrokerUnavailable:
        raise broker_unavailable() from None


_QUOTA_MESSAGES = {
    "total": ("rooms_full", "同时监测的直播间已达上限 {limit} / {limit} rooms are already active "
              "(QINGLANG_LIVE_MAX_ROOMS); stop one first"),
    "key": ("room_quota_key", "此密钥同时监测的直播间已达上限 {limit} / this key already holds "
            "{active} of its {limit} rooms ({role} key); stop one first"),
    "role": ("room_quota_role", "其余名额留给监管方 / the {limit} rooms other roles may hold are "
             "taken ({active} active); the rest are kept for regulators"),
}  # fmt: skip


def _quota_error(exceeded: QuotaExceeded, role: str) -> ApiError:
    code, message = _QUOTA_MESSAGES[exceeded.quota]
    return ApiError(
        429,
        code,
        message.format(limit=exceeded.limit, active=exceeded.active, role=role),
        {"quota": exceeded.quota, "limit_rooms": exceeded.limit, "active_rooms": exceeded.active},
        headers={"Retry-After": "30"},
    )


@router.get("/v1/live/rooms", response_model=RoomList, responses={401: _E, 403: _E})
def list_rooms(request: Request, caller: Caller) -> dict:
    """The rooms the caller may see, newest first."""
    rooms = _rooms(request.app)
    if caller.role == "regulator":
        return {"rooms": rooms.list()}
    if caller.role == "anchor":
        return {"rooms": rooms.list(anchor_id=caller.anchor_id)}
    return {"rooms": rooms.list(owner_key_id=caller.key_id)}


@router.get("/v1/live/rooms/{room_id}", response_model=Room, responses={401: _E, 403: _E, 404: _E})
def get_room(room_id: RecordId, request: Request, caller: Caller) -> dict:
    """A room's state, counts and latest events."""
    return _room(_rooms(request.app), caller, room_id)


@router.get(
    "/v1/live/rooms/{room_id}/events",
    response_model=EventList,
    responses={401: _E, 403: _E, 404: _E, 422: _E},
)
def room_events(
    room_id: RecordId,
    request: Request,
    caller: Caller,
    after: Annotated[int, Query(ge=0, description="Events with a larger seq.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict:
    """The room's events after `after`, oldest first."""
    rooms = _rooms(request.app)
    _room(rooms, caller, room_id)
    events = rooms.events(room_id, after, limit)
    return {
        "room_id": room_id,
        "events": events,
        "last_seq": events[-1]["seq"] if events else after,
    }


@router.post(
    "/v1/live/rooms/{room_id}/captions",
    response_model=CaptionResults,
    responses={
        202: {"model": InputQueued, "description": "Queued for the room's worker (broker)."},
        400: _E, 401: _E, 403: _E, 404: _E, 409: _E, 422: _E, 503: _E,
    },
)  # fmt: skip
def push_captions(
    room_id: RecordId, body: CaptionPush, request: Request, caller: Caller
) -> dict | JSONResponse:
    """Caption lines `{t, d?, text}` (stream seconds): their results, flags with times, at once.
    With a broker: 202 `{"queued": n, "input_entry": id}`, the lines queued for the room's
    worker; their results appear as the room's events."""
    rooms = _rooms(request.app)
    _room(rooms, caller, room_id)
    lines = []
    for line in body.lines:
        text = join_lines(line.text.splitlines())
        if text:
            lines.append(Segment(start=line.t, end=line.t + (line.d or 0.0), text=text))
    try:
        if isinstance(rooms, BrokerRooms):
            return queued(rooms.push_captions(room_id, lines))
        return {"room_id": room_id, "results": rooms.push_captions(room_id, lines)}
    except RoomNotActive:
        raise _not_active(room_id) from None
    except BrokerUnavailable:
        raise broker_unavailable() from None


@router.post(
    "/v1/live/rooms/{room_id}/stop",
    response_model=Room,
    responses={401: _E, 403: _E, 404: _E, 409: _E},
)
def stop_room(room_id: RecordId, request: Request, caller: Caller) -> dict:
    """Stop the room: the speech still buffered is checked and recorded; returns the summary."""
    rooms = _rooms(request.app)
    room = _room(rooms, caller, room_id)
    if room["state"] != "active":
        raise _not_active(room_id)
    return rooms.stop_room(room_id, actor=caller.actor)


def background(app):
    """The live rooms; a block verdict in a room becomes a `live.block` webhook event, recorded
    in the same transaction as the room's flags. With a broker, rooms are held by workers: the
    app runs the refill and idle threads instead of monitors (api/workers/broker_background.py)."""

    def on_block(db, event):
        enqueue_event(db, "live.block", event["anchor_id"], event)

    if app.state.broker is not None:
        rooms = BrokerRooms(
            app, app.state.broker, client_for(app.state.services.settings.broker_url, decode=False),
            on_block=on_block,
        )  # fmt: skip
        app.state.live_rooms = rooms
        return broker_background(app, rooms)
    rooms = LiveRooms(
        app,
        transcriber=lambda: shared_transcriber(app.state.services.settings),
        on_block=on_block,
    )
    app.state.live_rooms = rooms
    return rooms
