"""The routes a speech worker on another machine uses for the live room it holds (issue 15):
fetch the room (and become its recorded worker), post the timed text it recognised with the
position it covers, and end the room. Rules of access: api/v1/worker_auth.py. The API node
checks the text itself (live/worker_results.py); a replayed post changes nothing."""

from __future__ import annotations

import contextlib

import redis
from fastapi import APIRouter, Request

from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.schemas.common import RecordId
from api.v1.schemas.jobs import Room
from api.v1.schemas.worker import Recorded, RoomEnd, RoomResults, WorkerRoom
from api.v1.worker_auth import Worker
from monitor.broker import room_input
from monitor.live.room_store import get_room, set_worker, stop_active
from monitor.live.worker_results import PostedResult, WorkerPost, record_post

router = APIRouter(tags=["worker"])
_E = {"model": ErrorBody}
_ERRORS = {400: _E, 401: _E, 403: _E, 404: _E, 409: _E, 422: _E, 503: _E}


def _held_room(db, worker: Worker, room_id: int) -> dict:
    worker.check_holds("room", room_id)
    room = get_room(db, room_id)
    if room is None:
        raise ApiError(404, "room_not_found", f"直播间不存在 / no room {room_id}")
    return room


@router.get("/v1/worker/rooms/{room_id}", response_model=WorkerRoom, responses=_ERRORS)
def fetch_room(room_id: RecordId, db: DatabaseDep, worker: Worker) -> dict:
    """The room the worker holds: its source and where to resume. The worker becomes the room's
    recorded worker (a `worker` event when it changed)."""
    room = _held_room(db, worker, room_id)
    set_worker(db, room_id, worker.consumer)
    return {
        "room_id": room["id"], "anchor_id": room["anchor_id"], "stream_id": room["stream_id"],
        "product_id": room["product_id"], "profile": room["profile"],
        "source_url": room["source_url"], "state": room["state"],
        "resume": {
            "sequence": room["resume_sequence"], "origin": room["resume_origin"],
            "stream_s": room["resume_s"], "input_entry": room["input_entry"],
        },
    }  # fmt: skip


@router.post("/v1/worker/rooms/{room_id}/results", response_model=Recorded, responses=_ERRORS)
def post_results(
    room_id: RecordId,
    body: RoomResults,
    request: Request,
    db: DatabaseDep,
    services: ServicesDep,
    worker: Worker,
) -> dict:
    """Timed text the worker recognised, checked and recorded here with the room's profile and
    product; the position a worker taking the room over resumes from, in the same transaction.
    Idempotent by the start of each result's first segment. Accepted from the holder even after
    the room was stopped (its last results)."""
    room = _held_room(db, worker, room_id)
    post = WorkerPost(
        results=tuple(
            PostedResult(
                segments=tuple(s.to_segment() for s in result.segments),
                latency_s=result.latency_s,
                warnings=tuple(w.to_warning() for w in result.warnings),
            )
            for result in body.results
        ),
        position=body.position.model_dump(),
        audio_s=body.audio_s,
        events=tuple((event.type, event.detail) for event in body.events),
    )  # fmt: skip
    recorded = record_post(
        db, services.checker, room, post, default_profile=services.settings.profile,
        on_block=getattr(request.app.state.live_rooms, "on_block", None),
        worker=worker.consumer,
    )  # fmt: skip
    if post.position.get("input_entry"):
        with contextlib.suppress(redis.RedisError):  # trimmed after the next post instead
            room_input.consumed(worker.client, room_id, post.position["input_entry"])
    return {"recorded": recorded, "state": get_room(db, room_id)["state"]}


@router.post("/v1/worker/rooms/{room_id}/end", response_model=Room, responses=_ERRORS)
def end_room(room_id: RecordId, body: RoomEnd, db: DatabaseDep, worker: Worker) -> dict:
    """The worker is done with the room: `ended` (its source ended), `failed` (with `error`) or
    `stopped`; a room already stopped stays as it is. Then the worker finishes its lease."""
    _held_room(db, worker, room_id)
    stop_active(db, room_id, body.state, body.error, worker.caller.actor)
    return get_room(db, room_id)
