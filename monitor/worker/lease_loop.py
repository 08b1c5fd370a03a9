"""The worker's loop: claim rooms and media jobs from the broker, hold them, give them back.

- Rooms are claimed up to `max_rooms` while the worker keeps up (its real-time factor, the
  slowest of its rooms' over the last minute, is at most 1); one media job at a time.
- A heartbeat thread renews every lease each `heartbeat_s` (3 s) and announces the worker's
  presence (monitor.broker.presence); an item the heartbeat says is no longer held (taken over
  after a stall, or lost with a Redis that was wiped and refilled) is dropped at once.
- Every `takeover_every_s` (5 s) the worker takes over items whose holder stopped heartbeating
  for `lease_s` (10 s): a dead worker's room is resumed by another within 15 s.
- A room whose real-time factor over the last minute passes 1 is given back (its results posted
  first), and no room is claimed for a minute after.
- `stop()` (SIGTERM, Ctrl-C): claim nothing more, give every room back after posting its results
  (retried for up to 10 s), stop the current job at its next progress report and give it back
  (another worker starts it again), forget the presence, return. Leases are renewed until then.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from monitor.broker import leases, presence
from monitor.broker.keys import Kind
from monitor.broker.leases import LeaseOptions, WorkItem
from monitor.worker.api_client import WorkerApi
from monitor.worker.job_runner import JobRunner
from monitor.worker.room_runner import RoomRunner

logger = logging.getLogger("qinglang")
POLL_S = 0.5  # how often the loop looks for new work
SLOW_COOLDOWN_S = 60.0  # after giving a room back for slowness, claim no room for this long


@dataclass(frozen=True)
class WorkerOptions:
    max_rooms: int = 1
    device: str = "cpu"
    lease: LeaseOptions = field(default_factory=LeaseOptions)
    allow: str = ""  # QINGLANG_WATCH_ALLOW: non-public addresses a room's source may be at
    max_media_bytes: int = 2 * 1024**3
    media_max_seconds: float = 4 * 3600.0


def consumer_name(prefix: str, suffix: str) -> str:
    """`w<key id>.<host>.<pid>.<4 hex>`: the key's prefix, then where this process runs."""
    host = socket.gethostname().split(".")[0] or "host"
    return f"{prefix}{host}.{os.getpid()}.{suffix}"


class Worker:
    def __init__(
        self,
        broker: redis.Redis,
        raw_broker: redis.Redis,
        api: WorkerApi,
        key_id: int,
        transcriber,
        options: WorkerOptions,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.broker, self.raw_broker, self.api = broker, raw_broker, api
        self.consumer, self.key_id = api.consumer, key_id
        self.transcriber, self.options, self._clock = transcriber, options, clock
        self.rooms: dict[str, RoomRunner] = {}
        self.job: JobRunner | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._beating = threading.Event()  # set: the heartbeats stop (everything is let go)
        self._cool_until = 0.0

    def stop(self) -> None:
        self._stopping.set()

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> None:
        beats = threading.Thread(target=self._heartbeats, name="qinglang-heartbeat", daemon=True)
        beats.start()
        next_takeover = self._clock()
        try:
            while not self._stopping.is_set():
                try:
                    self._give_back_slow_rooms()
                    self._claim(take_over=self._clock() >= next_takeover)
                except redis.RedisError as exc:
                    logger.warning("broker: %s", exc)
                if self._clock() >= next_takeover:
                    next_takeover = self._clock() + self.options.lease.takeover_every_s
                self._stopping.wait(POLL_S)
        finally:
            self._release_all()
            self._beating.set()
            beats.join(timeout=self.options.lease.heartbeat_s + 5)
            with contextlib.suppress(redis.RedisError):
                presence.forget(self.broker, self.consumer)

    def rtf(self) -> float | None:
        """The slowest held room's real-time factor over the last minute (None: no audio yet)."""
        values = [r.meter.rtf() for r in list(self.rooms.values())]
        values = [v for v in values if v is not None]
        return max(values) if values else None

    def _can_take_room(self) -> bool:
        rtf = self.rtf()
        return (
            len(self.rooms) < self.options.max_rooms
            and (rtf is None or rtf <= 1.0)
            and self._clock() >= self._cool_until
        )

    def _claim(self, take_over: bool) -> None:
        if self._can_take_room():
            item = leases.claim_next(self.broker, "room", self.consumer)
            if item is not None:
                self._start_room(item)
            elif take_over:  # a dead worker's rooms, as many as this one has room for
                free = self.options.max_rooms - len(self.rooms)
                for item in self._take_over("room", free):
                    self._start_room(item)
        if self.job is None:
            item = leases.claim_next(self.broker, "job", self.consumer)
            if item is None and take_over:
                item = next(iter(self._take_over("job", 1)), None)
            if item is not None:
                self._start_job(item)

    def _take_over(self, kind: Kind, count: int) -> list[WorkItem]:
        taken = leases.take_over(self.broker, kind, self.consumer, self.options.lease, count=count)
        for item in taken:
            logger.info("took over %s %s", kind, item.item_id)
        return taken

    def _start_room(self, item: WorkItem) -> None:
        runner = RoomRunner(
            item, self.api, self.broker, self.raw_broker, self.transcriber,
            allow=self.options.allow, on_done=self._room_done,
        )  # fmt: skip
        with self._lock:
            self.rooms[item.item_id] = runner
        logger.info("room %s: started", item.item_id)
        runner.start()

    def _start_job(self, item: WorkItem) -> None:
        runner = JobRunner(
            item, self.api, self.broker, self.transcriber,
            max_bytes=self.options.max_media_bytes, max_seconds=self.options.media_max_seconds,
            on_done=self._job_done,
        )  # fmt: skip
        with self._lock:
            self.job = runner
        logger.info("job %s: started", item.item_id)
        runner.start()

    def _room_done(self, runner: RoomRunner) -> None:
        logger.info("room %s: %s", runner.room_id, runner.outcome)
        with self._lock:
            if self.rooms.get(runner.room_id) is runner:
                del self.rooms[runner.room_id]

    def _job_done(self, runner: JobRunner) -> None:
        logger.info("job %s: %s", runner.job_id, runner.outcome)
        with self._lock:
            if self.job is runner:
                self.job = None

    def _give_back_slow_rooms(self) -> None:
        for runner in list(self.rooms.values()):
            if runner.meter.behind():
                logger.warning("room %s: falling behind (RTF %.2f); giving it back",
                               runner.room_id, runner.meter.rtf())  # fmt: skip
                self._cool_until = self._clock() + SLOW_COOLDOWN_S
                runner.release()

    def _release_all(self) -> None:
        runners = [*self.rooms.values(), *([self.job] if self.job else [])]
        for runner in runners:
            runner.release()
        for runner in runners:  # heartbeats go on meanwhile: nothing is taken over under them
            runner.thread.join()

    # --- heartbeats ------------------------------------------------------------------------

    def _heartbeats(self) -> None:
        every = self.options.lease.heartbeat_s
        while True:
            try:
                self._beat()
            except redis.RedisError as exc:
                logger.warning("heartbeat: %s", exc)
            if self._beating.wait(every):
                return

    def _beat(self) -> None:
        with self._lock:
            rooms = {r.item.entry_id: r for r in self.rooms.values() if not r.done}
            jobs = {self.job.item.entry_id: self.job} if self.job and not self.job.done else {}
        for kind, held in (("room", rooms), ("job", jobs)):
            kept = leases.heartbeat(
                self.broker, kind, self.consumer, [r.item for r in held.values()]
            )
            kept_ids = {item.entry_id for item in kept}
            for entry_id, runner in held.items():
                if entry_id not in kept_ids and not runner.done:
                    logger.warning("%s %s: no longer held; dropping it", kind, runner.item.item_id)
                    runner.lose()
        presence.announce(
            self.broker,
            presence.WorkerPresence(
                worker=self.consumer, key_id=self.key_id,
                host=socket.gethostname().split(".")[0], device=self.options.device,
                max_rooms=self.options.max_rooms, rooms=tuple(r.room_id for r in rooms.values()),
                jobs=tuple(j.job_id for j in jobs.values()), rtf=self.rtf(),
            ),
            ttl_s=self.options.lease.lease_s,
        )  # fmt: skip
