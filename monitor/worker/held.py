"""What the lease loop sees of a room or job this worker holds: its thread, and the two ways it is
let go: lost (another worker holds it now: drop it at once) or released (give it back, after
posting what is done). `outcome` says how it ended: finished, lost or released."""

from __future__ import annotations

import threading
from collections.abc import Callable

from monitor.broker.leases import WorkItem


class Held:
    def __init__(self, item: WorkItem, on_done: Callable, name: str):
        self.item, self.on_done = item, on_done
        self.outcome: str | None = None
        self._lost = threading.Event()
        self._released = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name)

    def start(self) -> Held:
        self.thread.start()
        return self

    def lose(self) -> None:
        self._lost.set()

    def release(self) -> None:
        self._released.set()

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def _run(self) -> None:
        raise NotImplementedError
