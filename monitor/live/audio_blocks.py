"""What every stream reader yields and shares: timed audio blocks, the error that ends a source,
and the reconnect backoff with its wait announced as a `reconnecting` event."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from monitor.errors import InputError

EventSink = Callable[[str, dict], None]


class SourceError(InputError):
    """The stream cannot be reached, or stayed away longer than allowed (`after_connect`: it
    had been read before, so this is the end of the stream rather than bad input)."""

    def __init__(self, message: str, after_connect: bool = False):
        super().__init__(message)
        self.after_connect = after_connect


@dataclass(frozen=True)
class AudioBlock:
    start: float  # stream time of the first sample, seconds
    samples: np.ndarray  # 16 kHz mono float32
    arrived: float  # time.monotonic() when it was read
    sequence: int | None = None  # HLS media sequence number
    origin: float | None = None  # HLS: the stream's time origin (PTS of the first segment read)


@dataclass(frozen=True)
class Resume:
    """Where a reader continues a stream another reader had begun (a worker taking a room over):
    HLS after media sequence `sequence`, with stream times measured from the same `origin`; any
    source skips audio before stream time `stream_s`. None fields: from the start."""

    sequence: int | None = None
    origin: float | None = None
    stream_s: float | None = None


class Backoff:
    """Waits of 0.5, 1, 2, 4, 8, 8… s. A source that never answered fails after `first_tries`;
    one that answered before fails when it has been away for more than `max_outage_s`."""

    def __init__(self, max_outage_s: float, first_tries: int = 3, initial: float = 0.5):
        self.max_outage_s = max_outage_s
        self.first_tries = first_tries
        self.initial = initial
        self.connected = False
        self.reconnects = 0
        self._failures = 0
        self._since: float | None = None

    def success(self) -> None:
        if self._failures and self.connected:
            self.reconnects += 1
        self.connected = True
        self._failures = 0
        self._since = None

    def failure(self, source: str, why: str) -> float:
        now = time.monotonic()
        self._failures += 1
        self._since = self._since or now
        if not self.connected and self._failures >= self.first_tries:
            raise SourceError(f"无法连接直播源 / cannot connect to {source}: {why}")
        if self.connected and now - self._since > self.max_outage_s:
            raise SourceError(
                f"直播源中断超过 {self.max_outage_s:.0f} 秒 / {source} has been unreachable for "
                f"more than {self.max_outage_s:.0f} s: {why}",
                after_connect=True,
            )
        return backoff_s(self._failures, self.initial)


def backoff_s(failures: int, initial: float = 0.5, longest: float = 8.0) -> float:
    """The wait after `failures` failures in a row: 0.5, 1, 2, 4, 8, 8… s (from `initial`)."""
    return min(longest, initial * 2 ** max(0, failures - 1))


def wait_to_retry(
    stop: threading.Event, seconds: float, on_event: EventSink, source: str, why: str
) -> None:
    on_event("reconnecting", {"source": source, "in_s": seconds, "error": why})
    stop.wait(seconds)
