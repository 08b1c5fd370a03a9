"""Live rooms: one `StreamMonitor` per room, fed by pushed caption lines, pushed audio, or a
stream URL watched in a thread; every result is recorded as flags of the room's anchor and
stream (idempotent), kept as a numbered event, and, when its verdict is `block`, handed to
`on_block` (the service posts it to webhooks).

Rooms and their events live in the store (live/room_store.py); the monitors live in this
process (live/room_results.py records what they find). At start-up, rooms a killed process left
active are marked `interrupted` (a URL room is not restarted on its own:
the platform starts a new room, so nothing is fetched that nobody asked for now).

Who may open a room is decided by the quotas (monitor/live/room_quotas.py). A room that hears nothing
(no pushed input, no new audio from its URL) for `room_idle_seconds` is stopped with an
`idle_timeout` event, so a forgotten room never keeps a slot.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from monitor.ids import stream_id as checked_stream_id
from monitor.live.room_results import OnBlock, Room, record_result
from monitor.live.room_store import (
    SYSTEM_ACTOR,
    add_event,
    insert_room,
    interrupt_active_rooms,
    mark_stopped,
)
from monitor.live.stored_rooms import (
    RoomNotActive,
    RoomQuotaFull,
    StoredRooms,
    idle_message,
    room_refs,
)
from monitor.live.stream_monitor import LiveResult, StreamMonitor
from monitor.live.watch import watch
from monitor.sources.segments import Segment
from monitor.store.db import transaction

logger = logging.getLogger("qinglang")


class LiveRooms(StoredRooms):
    def __init__(
        self,
        app_or_services: Any,
        on_block: OnBlock | None = None,
        *,
        transcriber: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(app_or_services)
        self.on_block = on_block
        self._transcriber = transcriber
        self._clock = clock
        self._rooms: dict[int, Room] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._reaper: threading.Thread | None = None

    # --- lifecycle (the app's background) --------------------------------------------------

    def start(self) -> None:
        db = self._db()
        try:
            interrupt_active_rooms(db)
        finally:
            db.conn.close()
        self._closing.clear()
        self._reaper = threading.Thread(target=self._reap, name="qinglang-room-idle", daemon=True)
        self._reaper.start()

    def stop(self) -> None:
        self._closing.set()
        if self._reaper is not None:
            self._reaper.join(timeout=30)
        for room_id in list(self._rooms):
            self.stop_room(room_id, state="interrupted")

    # --- rooms ------------------------------------------------------------------------------

    def create(
        self,
        *,
        owner_key_id: int,
        owner_role: str,
        anchor_id: str,
        stream_id: str | None,
        product_id: str | None = None,
        profile: str | None = None,
        source_url: str | None = None,
        replay_file: Path | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> dict[str, Any]:
        """A room fed by pushed input, by `source_url` (checked against the URL policy by the
        caller, and every hop again as it is read, under QINGLANG_WATCH_ALLOW), or by
        `replay_file`: a local recording played once at real speed as if live (the demo's room;
        no API takes a local file). Its start is audited as `actor`'s. A product that does not
        exist (`MissingRecord`) or a stream of another anchor (`StateConflict`) is refused."""
        if replay_file is not None:
            source_url = f"replay:{replay_file.name}"
        if stream_id:
            stream_id = checked_stream_id(stream_id)
        services = self.services
        quotas = services.settings.room_quotas()
        db = self._db()
        try:
            facts, product_class = room_refs(db, anchor_id, stream_id, product_id)
            with self._lock:
                owners = [(r.owner_key_id, r.owner_role) for r in self._rooms.values()]
                exceeded = quotas.refusal(owner_key_id, owner_role, owners)
                if exceeded is not None:
                    raise RoomQuotaFull(exceeded)
                transcriber = self._transcriber() if self._transcriber else None
                monitor = StreamMonitor(
                    services.checker, transcriber, profile=profile or services.settings.profile,
                    product_class=product_class, facts=facts,
                )  # fmt: skip
                room_id, stream_id = insert_room(
                    db, owner_key_id=owner_key_id, anchor_id=anchor_id, stream_id=stream_id,
                    product_id=product_id, profile=profile, source_url=source_url, actor=actor,
                )  # fmt: skip
                room = Room(
                    room_id, anchor_id, stream_id, product_id, monitor, owner_key_id, owner_role,
                    last_input=self._clock(),
                )  # fmt: skip
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
            room.last_input = self._clock()
            results = [r for line in lines for r in room.monitor.push_caption(line)]
            return [self._result(room, r) for r in results]

    def push_pcm(self, room_id: int, pcm: bytes) -> list[dict]:
        """16 kHz mono signed 16-bit little-endian samples, following the previous block."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        room = self._live(room_id)
        with room.lock:
            room.last_input = self._clock()
            return [self._result(room, r) for r in room.monitor.push_audio(samples)]

    def push_encoded(self, room_id: int, data: bytes) -> list[dict]:
        room = self._live(room_id)
        with room.lock:
            room.last_input = self._clock()
            return [self._result(room, r) for r in room.monitor.push_encoded(data)]

    def flush(self, room_id: int) -> list[dict]:
        room = self._live(room_id)
        with room.lock:
            return [self._result(room, r) for r in room.monitor.flush()]

    def stop_room(
        self,
        room_id: int,
        state: str = "stopped",
        error: str | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> dict:
        """Stop the room: what was heard is checked and recorded; returns the room's summary.
        The stop is audited as `actor`'s (the system's when the stream ended or failed)."""
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
                mark_stopped(db, room_id, room.anchor_id, state, error, actor)
            finally:
                db.conn.close()
        return self.get(room_id)

    def stop_idle(self) -> list[int]:
        """Stop every room that heard nothing for `room_idle_seconds` (a URL room hears its
        source's audio; a push room what is pushed); returns their ids."""
        idle_s = self.services.settings.room_idle_seconds
        if idle_s <= 0:
            return []
        now = self._clock()
        stale = []
        for room in list(self._rooms.values()):
            heard = room.monitor.stats.audio_s
            if heard > room.heard_s:  # a URL room's source is still delivering audio
                room.heard_s, room.last_input = heard, now
            elif now - room.last_input >= idle_s:
                stale.append(room)
        for room in stale:
            if not self.is_live(room.id):  # stopped meanwhile
                continue
            message = idle_message(idle_s)
            self._event(room.id, "idle_timeout", {"idle_s": idle_s, "message": message})
            self.stop_room(room.id, state="ended", error=message)
        return [room.id for room in stale]

    # --- inside -----------------------------------------------------------------------------

    def _reap(self) -> None:
        """Look for idle rooms a few times per idle period (at most every 5 s)."""
        while True:
            idle_s = self.services.settings.room_idle_seconds
            if self._closing.wait(min(max(idle_s / 4, 0.05), 5.0) if idle_s > 0 else 5.0):
                return
            try:
                self.stop_idle()
            except Exception:  # the reaper must outlive one failed stop
                logger.exception("stopping idle rooms")

    def _live(self, room_id: int) -> Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise RoomNotActive(room_id)
        return room

    def _result(self, room: Room, result: LiveResult) -> dict:
        db = self._db()
        try:
            return record_result(db, room, result, self.on_block)
        finally:
            db.conn.close()

    def _event(self, room_id: int, kind: str, detail: dict) -> dict:
        db = self._db()
        try:
            with transaction(db):
                return add_event(db, room_id, kind, {"detail": detail})
        finally:
            db.conn.close()

    def _watch(self, room: Room, source: str, replay: bool) -> None:
        def on_result(result: LiveResult) -> None:
            with room.lock:
                self._result(room, result)

        summary = watch(
            source, room.monitor, on_result, lambda kind, detail: self._event(room.id, kind, detail),
            stop=room.stop, allow=self.services.settings.watch_allow, realtime=replay,
            is_file=replay,
        )  # fmt: skip
        if self.is_live(room.id):  # the source ended or failed (not stopped by stop_room)
            error = str(summary.error) if summary.error else None
            if error:
                self._event(room.id, "error", {"error": error})
            self.stop_room(room.id, state="failed" if error else "ended", error=error)
