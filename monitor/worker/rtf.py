"""A room's real-time factor over the last minute: the time spent turning its audio into text,
divided by the length of that audio. Above 1 the worker falls behind the stream."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0
MIN_AUDIO_S = 20.0  # judge no room on less audio than this within the window


class RtfMeter:
    def __init__(self, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic):
        self.window_s, self._clock = window_s, clock
        self._samples: deque[tuple[float, float, float]] = deque()  # (when, busy s, audio s)
        self._lock = threading.Lock()

    def add(self, busy_s: float, audio_s: float) -> None:
        with self._lock:
            now = self._clock()
            self._samples.append((now, busy_s, audio_s))
            while self._samples and self._samples[0][0] < now - self.window_s:
                self._samples.popleft()

    def audio_s(self) -> float:
        with self._lock:
            return sum(a for _, _, a in self._samples)

    def rtf(self) -> float | None:
        """Busy time / audio time in the window; None before any audio."""
        with self._lock:
            audio = sum(a for _, _, a in self._samples)
            busy = sum(b for _, b, _ in self._samples)
        return busy / audio if audio > 0 else None

    def behind(self) -> bool:
        """Over the last minute, with enough audio to say, the room took longer than real time."""
        rtf = self.rtf()
        return rtf is not None and rtf > 1.0 and self.audio_s() >= MIN_AUDIO_S
