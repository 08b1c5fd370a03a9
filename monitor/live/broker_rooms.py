"""Live rooms held by speech workers on other machines (issue 15, QINGLANG_BROKER_URL set): the
API node keeps the rooms in the store (the truth) and queues them on the broker; a worker claims
a room, transcribes it and posts timed text back (live/worker_results.py checks and records it).

Opening a room inserts its row and queues it; no monitor or thread runs here, so the total of
QINGLANG_LIVE_MAX_ROOMS does not apply (workers take what they keep up with), the per-key quotas
do. While some room has waited for a worker longer than QINGLANG_ROOM_PLACEMENT_SECONDS, new rooms
are refused (`NoWorker`). Pushed captions and audio go to the room's input stream on the broker,
for whichever worker holds the room; stopping a room marks it stopped in the store at once and
pushes a `stop`. A room that hears nothing (no push, no post of its worker) for
`room_idle_seconds` is stopped with an `idle_timeout` event, from the times the store and the
broker keep, not from anything held in this process.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from monitor.broker import queue, room_input
from monitor.broker.keys import input_key
from monitor.broker.queue import as_text
from monitor.errors import InputError
from monitor.ids import stream_id as checked_stream_id
from monitor.live.room_results import OnBlock
from monitor.live.room_store import (
    SYSTEM_ACTOR,
    active_room_owners,
    active_rooms_last_heard,
    add_event,
    insert_room,
    room_state,
    stop_active,
)
from monitor.live.stored_rooms import (
    RoomNotActive,
    RoomQuotaFull,
    StoredRooms,
    idle_message,
    room_refs,
)
from monitor.sources.segments import Segment
from monitor.store.db import transaction

logger = logging.getLogger("qinglang")


class BrokerUnavailable(Exception):
    """The broker (Redis) did not answer: the call may be tried again shortly."""


class NoWorker(Exception):
    """A room has waited for a worker longer than the placement time: no new room now."""

    def __init__(self, waited_s: float, limit_s: float):
        super().__init__(waited_s)
        self.waited_s = waited_s
        self.limit_s = limit_s


class BrokerRooms(StoredRooms):
    queued = True  # pushed input is queued for a worker, not checked in this request

    def __init__(
        self,
        app_or_services: Any,
        client: redis.Redis,
        raw_client: redis.Redis,
        on_block: OnBlock | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ):
        super().__init__(app_or_services)
        self.client = client  # decodes replies: queues, leases, presence
        self.raw_client = raw_client  # bytes: pushed audio
        self.on_block = on_block
        self._clock = clock

    def start(self) -> None:
        """Nothing to start: the refill and idle threads are the app's (api/workers)."""

    def stop(self) -> None:
        """Rooms stay active when the API node stops: their workers go on."""

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
        """A room queued for a worker; refused like `LiveRooms.create` (product, stream, per-key
        quotas), with `NoWorker` while rooms wait too long, and `BrokerUnavailable`. A local
        recording (`replay_file`, the demo's room) is on this machine only: refused."""
        if replay_file is not None:
            raise InputError(
                "回放直播间只在单机模式下运行 / a replayed recording runs only without a broker "
                "(QINGLANG_BROKER_URL): workers cannot read this machine's files"
            )
        if stream_id:
            stream_id = checked_stream_id(stream_id)
        settings = self.services.settings
        self._check_placement(settings.room_placement_seconds)
        quotas = replace(settings.room_quotas(), total=sys.maxsize, regulator_reserved=0)
        db = self._db()
        try:
            room_refs(db, anchor_id, stream_id, product_id)
            exceeded = quotas.refusal(owner_key_id, owner_role, active_room_owners(db))
            if exceeded is not None:
                raise RoomQuotaFull(exceeded)
            room_id, stream_id = insert_room(
                db, owner_key_id=owner_key_id, anchor_id=anchor_id, stream_id=stream_id,
                product_id=product_id, profile=profile, source_url=source_url, actor=actor,
            )  # fmt: skip
        finally:
            db.conn.close()
        try:
            queue.enqueue(self.client, "room", room_id)
        except redis.RedisError:  # the room is in the store: the refill queues it
            logger.warning("room %s not queued now (broker unavailable); the refill will", room_id)
        return self.get(room_id)

    def is_live(self, room_id: int) -> bool:
        """Active in the store (read on every push: the state alone, not the room's events)."""
        db = self._db()
        try:
            return room_state(db, room_id) == "active"
        finally:
            db.conn.close()

    def push_captions(self, room_id: int, lines: list[Segment]) -> dict[str, Any]:
        data = [json.dumps(line.to_dict(), ensure_ascii=False).encode() for line in lines]
        return self._push(room_id, [("caption", d) for d in data])

    def push_pcm(self, room_id: int, pcm: bytes) -> dict[str, Any]:
        """16 kHz mono signed 16-bit little-endian samples, following the previous block."""
        return self._push(room_id, [("pcm", pcm)])

    def push_encoded(self, room_id: int, data: bytes) -> dict[str, Any]:
        return self._push(room_id, [("encoded", data)])

    def stop_room(
        self,
        room_id: int,
        state: str = "stopped",
        error: str | None = None,
        actor: str = SYSTEM_ACTOR,
    ) -> dict | None:
        """Mark the room stopped in the store at once (audited as `actor`'s) and tell its worker
        (a `stop` input: it posts what it still has, then ends the room)."""
        room = self.get(room_id)
        if room is None:
            return None
        if room["state"] == "active":
            db = self._db()
            try:
                stop_active(db, room_id, state, error, actor)
            finally:
                db.conn.close()
            try:
                room_input.push(self.raw_client, room_id, "stop")
            except redis.RedisError:  # the worker sees the room stopped when it next posts
                logger.warning("room %s: stop not pushed (broker unavailable)", room_id)
        return self.get(room_id)

    def stop_idle(self) -> list[int]:
        """Stop every active room that heard nothing for `room_idle_seconds`: no push (the last
        entry of its input stream), no fetch or post of its worker, since it started."""
        idle_s = self.services.settings.room_idle_seconds
        if idle_s <= 0:
            return []
        db = self._db()
        try:
            rooms = active_rooms_last_heard(db)
        finally:
            db.conn.close()
        now = self._clock()
        stale = []
        for room_id, _anchor_id, heard_at in rooms:
            heard = max(_unix(heard_at), self._last_push(room_id) or 0.0)
            if now - heard >= idle_s:
                stale.append(room_id)
        for room_id in stale:
            message = idle_message(idle_s)
            db = self._db()
            try:
                with transaction(db):
                    add_event(db, room_id, "idle_timeout", {"detail": {"idle_s": idle_s, "message": message}})  # fmt: skip
            finally:
                db.conn.close()
            self.stop_room(room_id, state="ended", error=message)
        return stale

    # --- inside -----------------------------------------------------------------------------

    def _check_placement(self, limit_s: float) -> None:
        try:
            waiting = queue.waiting(self.client, "room", int(self._clock() * 1000), limit=1)
        except redis.RedisError as exc:
            raise BrokerUnavailable(str(exc)) from exc
        if waiting and waiting[0].waited_s > limit_s:
            raise NoWorker(waiting[0].waited_s, limit_s)

    def _push(self, room_id: int, inputs: list[tuple[str, bytes]]) -> dict[str, Any]:
        if not self.is_live(room_id):
            raise RoomNotActive(room_id)
        entry = None
        try:
            for kind, data in inputs:
                entry = room_input.push(self.raw_client, room_id, kind, data)
        except redis.RedisError as exc:
            raise BrokerUnavailable(str(exc)) from exc
        return {"queued": len(inputs), "input_entry": entry}

    def _last_push(self, room_id: int) -> float | None:
        """When the room's last input was pushed (Unix time), from its entry id; None when it has
        none or the broker does not answer."""
        try:
            last = self.client.xrevrange(input_key(room_id), count=1)
        except redis.RedisError:
            return None
        return int(as_text(last[0][0]).split("-")[0]) / 1000 if last else None


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).timestamp()
