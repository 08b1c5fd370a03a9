"""Live rooms: one `StreamMonitor` per room, fed by pushed caption lines, pushed audio, or a
stream URL watched in a thread; every result is recorded as flags of the room's anchor and
stream (idempotent), kept as a numbered event, and, when its verdict is `block`, handed to
`on_block` (the service posts it to webhooks).

Rooms and their events live in the store; the monitors live in this process. At start-up, rooms
a killed process left active are marked `interrupted` (a URL room is not restarted on its own:
the platform starts a new room, so nothing is fetched that nobody asked for now).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from .db import now_iso, open_db, transaction, where_equal
from .errors import InputError
from .facts import ProductFacts
from .ids import stream_id as checked_stream_id
from .ids import stream_id_from
from .live import LiveResult, StreamMonitor
from .recording import record_check
from .registry import get_product
from .segments import Segment
from .watch import watch

logger = logging.getLogger("qinglang")
LAST_EVENTS = 10


class RoomsFull(Exception):
    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class RoomNotActive(InputError):
    """The room was stopped, ended or interrupted: it takes no more input."""


@dataclass
class _Room:
    id: int
    anchor_id: str
    stream_id: str
    product_id: str | None
    monitor: StreamMonitor
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class LiveRooms:
    def __init__(
        self,
        app_or_services: Any,
        on_block: Callable[[sqlite_utils.Database, dict], None] | None = None,
        *,
        transcriber: Callable[[], Any] | None = None,
    ):
        self._source = app_or_services
        self.on_block = on_block
        self._transcriber = transcriber
        self._rooms: dict[int, _Room] = {}
        self._lock = threading.Lock()

    @property
    def services(self):
        state = getattr(self._source, "state", None)
        return state.services if state is not None else self._source

    def _db(self):
        return open_db(self.services.db_path, migrate=False)

    # --- lifecycle (the app's background) --------------------------------------------------

    def start(self) -> None:
        db = self._db()
        try:
            with transaction(db):
                db.execute(
                    "UPDATE live_rooms SET state = 'interrupted', stopped_at = ?, error = ? "
                    "WHERE state = 'active'",
                    [now_iso(), "服务重启 / the service restarted while the room was active"],
                )
        finally:
            db.conn.close()

    def stop(self) -> None:
        for room_id in list(self._rooms):
            self.stop_room(room_id, state="interrupted")

    # --- rooms ------------------------------------------------------------------------------

    def create(
        self,
        *,
        owner_key_id: int,
        anchor_id: str,
        stream_id: str | None,
        product_id: str | None = None,
        profile: str | None = None,
        source_url: str | None = None,
        replay_file: Path | None = None,
    ) -> dict[str, Any]:
        """A room fed by pushed input, by `source_url` (checked against the URL policy by the
        caller), or by `replay_file`: a local recording played once at real speed as if live
        (the demo's room; no API takes a local file)."""
        if replay_file is not None:
            source_url = f"replay:{replay_file.name}"
        if stream_id:
            stream_id = checked_stream_id(stream_id)
        services = self.services
        limit = services.settings.live_max_rooms
        db = self._db()
        try:
            facts, product_class = None, None
            if product_id:
                product = get_product(db, product_id)
                facts, product_class = ProductFacts.from_record(product), product["product_class"]
            with self._lock:
                if len(self._rooms) >= limit:
                    raise RoomsFull(limit)
                transcriber = self._transcriber() if self._transcriber else None
                monitor = StreamMonitor(
                    services.checker, transcriber, profile=profile or services.settings.profile,
                    product_class=product_class, facts=facts,
                )  # fmt: skip
                with transaction(db):
                    room_id = db.execute(
                        "INSERT INTO live_rooms (owner_key_id, anchor_id, stream_id, product_id, "
                        "profile, source_url, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [owner_key_id, anchor_id, stream_id or "", product_id, profile,
                         source_url, now_iso()],
                    ).lastrowid  # fmt: skip
                    stream_id = stream_id or stream_id_from(f"{anchor_id}:live-{room_id}")
                    db.execute(
                        "UPDATE live_rooms SET stream_id = ? WHERE id = ?", [stream_id, room_id]
                    )
                room = _Room(room_id, anchor_id, stream_id, product_id, monitor)
                self._rooms[room_id] = room
        finally:
            db.conn.close()
        if source_url:
            source = str(replay_file) if replay_file is not None else source_url
            room.thread = threading.Thread(
                target=self._watch, args=(room, source, replay_file is not None),
                name=f"qinglang-room-{room_id}", daemon=True,
            )  # fmt: skip
            room.thread.start()
        return self.get(room_id)

    def is_live(self, room_id: int) -> bool:
        return room_id in self._rooms

    def push_captions(self, room_id: int, lines: list[Segment]) -> list[dict]:
        room = self._live(room_id)
        with room.lock:
            results = [r for line in lines for r in room.monitor.push_caption(line)]
            return [self._result(room, r) for r in results]

    def push_pcm(self, room_id: int, pcm: bytes) -> list[dict]:
        """16 kHz mono signed 16-bit little-endian samples, following the previous block."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        room = self._live(room_id)
        with room.lock:
            return [self._result(room, r) for r in room.monitor.push_audio(samples)]

    def push_encoded(self, room_id: int, data: bytes) -> list[dict]:
        room = self._live(room_id)
        with room.lock:
            return [self._result(room, r) for r in room.monitor.push_encoded(data)]

    def flush(self, room_id: int) -> list[dict]:
        room = self._live(room_id)
        with room.lock:
            return [self._result(room, r) for r in room.monitor.flush()]

    def stop_room(self, room_id: int, state: str = "stopped", error: str | None = None) -> dict:
        """Stop the room: what was heard is checked and recorded; returns the room's summary."""
        with self._lock:
            room = self._rooms.pop(room_id, None)
        if room is not None:
            room.stop.set()
            if room.thread is not None and room.thread is not threading.current_thread():
                room.thread.join(timeout=30)
            with room.lock:
                for result in room.monitor.flush():
                    self._result(room, result)
            self._event(room.id, "stopped", {"state": state})
            db = self._db()
            try:
                with transaction(db):
                    db.execute(
                        "UPDATE live_rooms SET state = ?, stopped_at = ?, error = ? "
                        "WHERE id = ? AND state = 'active'",
                        [state, now_iso(), error, room_id],
                    )
            finally:
                db.conn.close()
        return self.get(room_id)

    # --- reading ----------------------------------------------------------------------------

    def get(self, room_id: int) -> dict[str, Any] | None:
        db = self._db()
        try:
            row = next(db.query("SELECT * FROM live_rooms WHERE id = ?", [room_id]), None)
            if row is None:
                return None
            row["last_events"] = list(reversed(_events(db, room_id, None, LAST_EVENTS, True)))
            return row
        finally:
            db.conn.close()

    def list(self, owner_key_id: int | None = None, anchor_id: str | None = None) -> list[dict]:
        db = self._db()
        try:
            clause, params = where_equal(("owner_key_id", owner_key_id), ("anchor_id", anchor_id))
            ids = [
                r[0]
                for r in db.execute(
                    f"SELECT id FROM live_rooms {clause} ORDER BY id DESC LIMIT 200", params
                )
            ]
        finally:
            db.conn.close()
        return [self.get(room_id) for room_id in ids]

    def events(self, room_id: int, after: int = 0, limit: int = 500) -> list[dict]:
        db = self._db()
        try:
            return _events(db, room_id, after, limit, False)
        finally:
            db.conn.close()

    # --- inside -----------------------------------------------------------------------------

    def _live(self, room_id: int) -> _Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise RoomNotActive(f"直播间 {room_id} 未在监测 / room {room_id} is not active")
        return room

    def _result(self, room: _Room, result: LiveResult) -> dict:
        """Record the result's flags, keep it as an event, call on_block; returns the event."""
        db = self._db()
        try:
            with transaction(db):
                flag_ids = record_check(
                    db, result.report, result.text, anchor_id=room.anchor_id,
                    stream_id=room.stream_id, product_id=room.product_id,
                    source=f"live-room:{room.id}", segments=result.segments,
                )  # fmt: skip
                db.execute(
                    "UPDATE live_rooms SET audio_s = ?, segments = segments + ?, flags = flags + ? "
                    "WHERE id = ?",
                    [round(room.monitor.stats.audio_s, 3), len(result.segments),
                     len(result.report.hits), room.id],
                )  # fmt: skip
                event = _add_event(db, room.id, "result", {
                    "verdict": result.report.verdict,
                    "latency_s": round(result.latency_s, 3),
                    "segments": [s.to_dict() for s in result.segments],
                    "hits": [h.to_dict() for h in result.report.hits],
                    "flag_ids": flag_ids,
                })  # fmt: skip
                if result.report.verdict == "block" and self.on_block is not None:
                    self._blocked(db, room, result, event)
        finally:
            db.conn.close()
        return event

    def _blocked(self, db, room: _Room, result: LiveResult, event: dict) -> None:
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
                self.on_block(db, payload)
        except Exception:  # a failing hook must not stop the room
            logger.exception("on_block for room %s", room.id)

    def _event(self, room_id: int, kind: str, detail: dict) -> dict:
        db = self._db()
        try:
            with transaction(db):
                return _add_event(db, room_id, kind, {"detail": detail})
        finally:
            db.conn.close()

    def _watch(self, room: _Room, source: str, replay: bool) -> None:
        def on_result(result: LiveResult) -> None:
            with room.lock:
                self._result(room, result)

        summary = watch(
            source, room.monitor, on_result, lambda kind, detail: self._event(room.id, kind, detail),
            stop=room.stop, realtime=replay, is_file=replay,
        )  # fmt: skip
        if self.is_live(room.id):  # the source ended or failed (not stopped by stop_room)
            error = str(summary.error) if summary.error else None
            if error:
                self._event(room.id, "error", {"error": error})
            self.stop_room(room.id, state="failed" if error else "ended", error=error)


def _add_event(db, room_id: int, kind: str, body: dict) -> dict:
    seq = db.execute(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM live_events WHERE room_id = ?", [room_id]
    ).fetchone()[0]
    at = now_iso()
    db.execute(
        "INSERT INTO live_events (room_id, seq, at, type, payload) VALUES (?, ?, ?, ?, ?)",
        [room_id, seq, at, kind, json.dumps(body, ensure_ascii=False)],
    )
    return {"seq": seq, "at": at, "type": kind, **body}


def _events(db, room_id: int, after: int | None, limit: int, newest: bool) -> list[dict]:
    order = "DESC" if newest else "ASC"
    rows = db.execute(
        f"SELECT seq, at, type, payload FROM live_events WHERE room_id = ? AND seq > ? "
        f"ORDER BY seq {order} LIMIT ?",
        [room_id, after or 0, limit],
    ).fetchall()
    return [{"seq": s, "at": at, "type": t, **json.loads(p)} for s, at, t, p in rows]
