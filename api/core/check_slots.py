"""A bound on the checks the service runs at once (QINGLANG_API_MAX_CONCURRENT_CHECKS).

Checks are CPU-bound and run in the threadpool; without a bound, a burst of large texts would
take every thread and every core. A request beyond the bound waits its turn for up to
`WAIT_SECONDS`, then gets 503 with Retry-After, never a hang.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request

from api.core.errors import ApiError

WAIT_SECONDS = 30.0


def new_slots(size: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(max(1, size))


@contextmanager
def check_slot(request: Request) -> Iterator[None]:
    """Hold one of the app's check slots while the block runs (from sync routes only)."""
    slots: threading.BoundedSemaphore = request.app.state.check_slots
    if not slots.acquire(timeout=WAIT_SECONDS):
        raise ApiError(
            503,
            "busy",
            "检测繁忙，请稍后重试 / too many checks running, retry later",
            {"retry_after_s": 5},
            headers={"Retry-After": "5"},
        )
    try:
        yield
    finally:
        slots.release()
