"""Requests per minute per API key (QINGLANG_API_RATE_PER_MINUTE), and failed key attempts per
client address, as token buckets held in the process.

A bucket holds up to one minute's allowance and refills continuously, so a client may burst up to
its limit and then proceeds at the sustained rate. Over the limit: 429 with Retry-After and the
limit named in the body. Hand-written: the buckets are a dozen lines, and the libraries for this
wrap ASGI middleware that runs before we know which key is calling.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass

from api.core.errors import ApiError

# Failed key attempts allowed per client address and minute, whatever the key limit.
FAILED_AUTH_PER_MINUTE = 60


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by key; `take(key)` spends one token or raises 429."""

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable, what: str) -> None:
        if self.per_minute <= 0:
            return
        wait = self._spend(key)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"请求过于频繁：{what}每分钟最多 {self.per_minute} 次 / too many requests: "
                f"at most {self.per_minute} per minute per {what}; retry in {retry} s",
                {"limit_per_minute": self.per_minute, "retry_after_s": retry},
                headers={"Retry-After": str(retry)},
            )

    def _spend(self, key: Hashable) -> float:
        """Seconds to wait before a token is free (0 when one was spent)."""
        rate = self.per_minute / 60.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.per_minute), now)
            bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow without end
                self._buckets = {
                    k: b for k, b in self._buckets.items() if b.tokens < self.per_minute
                }
            return (1 - bucket.tokens) / rate
