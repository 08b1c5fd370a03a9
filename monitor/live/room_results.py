"""A live room as this process holds it (its monitor, owner, locks and watch thread), and what
it does with each check result: record its flags for the room's anchor and stream, count it,
keep it as a numbered event, and hand a `block` to `on_block` (the service posts it to
webhooks). Opening, feeding and stopping rooms is live/rooms.py."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import sqlite_utils

from monitor.live.room_store import add_event, count_result
from monitor.live.stream_monitor import LiveResult, StreamMonitor
from monitor.store.db import transaction
from monitor.store.flag_store import record_check

logger = logging.getLogger("qinglang")

OnBlock = Callable[[sqlite_utils.Database, dict], None]


class RoomTarget(Protocol):
    """What recording a result needs to know of its room (a `Room` here, or a room held by a
    worker on another machine)."""

    id: int
    anchor_id: str
    stream_id: str
    product_id: str | None


@dataclass
class Room:
    id: int
    anchor_id: str
    stream_id: str
    product_id: str | None
    monitor: StreamMonitor
    owner_key_id: int
    owner_role: str
    last_input: float
    heard_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


def record_result(
    db: sqlite_utils.Database, room: Room, result: LiveResult, on_block: OnBlock | None
) -> dict:
    """Record the result's flags, keep it as an event, call on_block; returns the event."""
    return record_room_result(db, room, result, room.monitor.stats.audio_s, on_block)


def record_room_result(
    db: sqlite_utils.Database,
    room: RoomTarget,
    result: LiveResult,
    audio_s: float,
    on_block: OnBlock | None,
    result_key: str | None = None,
) -> dict:
    """`record_result` for any room: its event is kept under `result_key` when given (a result a
    worker posted; the caller checks first that the key is new)."""
    with transaction(db):
        flag_ids = record_check(
            db, result.report, result.text, anchor_id=room.anchor_id,
            stream_id=room.stream_id, product_id=room.product_id,
            source=f"live-room:{room.id}", segments=result.segments,
        )  # fmt: skip
        count_result(db, room.id, audio_s, len(result.segments), len(result.report.hits))
        event = add_event(db, room.id, "result", {
            "verdict": result.report.verdict,
            "latency_s": round(result.latency_s, 3),
            "segments": [s.to_dict() for s in result.segments],
            "hits": [h.to_dict() for h in result.report.hits],
            "flag_ids": flag_ids,
        }, result_key)  # fmt: skip
        if result.report.verdict == "block" and on_block is not None:
            _blocked(db, room, result, event, on_block)
    return event


def _blocked(
    db: sqlite_utils.Database, room: RoomTarget, result: LiveResult, event: dict, on_block: OnBlock
) -> None:
    """Call on_block inside the transaction that records the result, so that what it
    records (a webhook event) commits with the flags; a failing hook is logged and undone
    alone, never the flags."""
    payload = {
        "room_id": room.id, "anchor_id": room.anchor_id, "stream_id": room.stream_id,
        "verdict": "block", "at": event["at"],
        "hits": [
            {"category": h.category, "text": h.text, "time_start": h.time_start,
             "time_end": h.time_end, "basis": list(h.basis)}
            for h in result.report.hits
        ],
    }  # fmt: skip
    try:
        with transaction(db):
            on_block(db, payload)
    except Exception:  # a failing hook must not stop the room
        logger.exception("on_block for room %s", room.id)
