"""The service's own periodic work: reload when the lexicon or policy files change, and
recompute every anchor's credit on a schedule (so that grades recovered or expired with time
reach `credit_state`, the audit log and the platforms' webhooks without anyone running
`qinglang credit recompute`)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

from fastapi import FastAPI

from api.core.reloader import Reloader, ReloadFailed
from monitor.credit.service import recompute_all
from monitor.store.db import now_iso

logger = logging.getLogger("qinglang")

WATCH_INTERVAL_S = 2.0
RECOMPUTE_ACTOR = "system:scheduled-recompute"


class _Periodic:
    """A daemon thread running `tick` every `interval` seconds until stopped."""

    def __init__(self, name: str, interval: float, first_delay: float):
        self.name = name
        self.interval = interval
        self.first_delay = first_delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        delay = self.first_delay
        while not self._stop.wait(delay):
            try:
                self.tick()
            except Exception:  # a failed round is logged; the next one still runs
                logger.exception("%s failed", self.name)
            delay = self.interval

    def tick(self) -> None:
        raise NotImplementedError


class FileWatch(_Periodic):
    """Reloads when a watched file's size or modification time changes; a failed load is retried
    only after the files change again."""

    def __init__(self, reloader: Reloader, interval: float = WATCH_INTERVAL_S):
        super().__init__("qinglang-reload-watch", interval, interval)
        self.reloader = reloader
        self._seen = reloader.current_signature()

    def tick(self) -> None:
        current = self.reloader.current_signature()
        if current == self._seen:
            return
        self._seen = current
        with contextlib.suppress(ReloadFailed):  # logged and kept in the reloader's status
            self.reloader.reload("system:file-watch", "file change")


@dataclass
class RecomputeStatus:
    runs: int = 0
    last_run_at: str = ""
    last_anchors: int = 0
    last_seconds: float = 0.0
    next_run_in_s: float = 0.0


class CreditRecompute(_Periodic):
    """Recomputes every anchor's credit every `hours` (the first run a minute after start, or
    sooner when the interval is shorter)."""

    def __init__(self, app: FastAPI, hours: float, first_delay: float = 60.0):
        interval = hours * 3600
        super().__init__("qinglang-credit-recompute", interval, min(first_delay, interval))
        self.app = app
        self.status = RecomputeStatus(next_run_in_s=first_delay)

    def tick(self) -> None:
        services = self.app.state.services
        started = time.monotonic()
        db = services.connect()
        try:
            count = recompute_all(db, services.policy, RECOMPUTE_ACTOR)
        finally:
            db.conn.close()
        self.status.runs += 1
        self.status.last_run_at = now_iso()
        self.status.last_anchors = count
        self.status.last_seconds = round(time.monotonic() - started, 3)
        self.status.next_run_in_s = self.interval
        logger.info("credit recomputed for %d anchors in %.1f s", count, self.status.last_seconds)


class Workers:
    """Several background workers started and stopped together."""

    def __init__(self, *workers):
        self.workers = [w for w in workers if w is not None]

    def start(self) -> None:
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()
