"""Token buckets per key (an owner, an address pseudonym): ``limit`` actions per period,
bursts up to the same number."""

from __future__ import annotations

import math
import threading
import time

from reelvault.errors import RateLimitedError

MAX_BUCKETS = 10_000
"""Buckets kept before full ones are dropped (a full bucket is the same as no bucket)."""


class RateLimiter:
    def __init__(self, per_minute: int, *, period_s: float = 60.0, unit: str = "minute") -> None:
        self.per_minute = per_minute  # the limit per period (the name predates other periods)
        self.period_s = period_s
        self.unit = unit
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last time)
        self._lock = threading.Lock()

    @classmethod
    def per_hour(cls, limit: int) -> RateLimiter:
        return cls(limit, period_s=3600.0, unit="hour")

    def check(self, owner_id: str) -> None:
        """Take one token or raise :class:`RateLimitedError` with the seconds to wait."""
        limit = float(self.per_minute)
        if limit <= 0:
            return
        rate = limit / self.period_s
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now, rate, limit)
            tokens, last = self._buckets.get(owner_id, (limit, now))
            tokens = min(limit, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[owner_id] = (tokens, now)
                wait = max(1, math.ceil((1.0 - tokens) / rate))
                raise RateLimitedError(
                    f"too many requests: at most {self.per_minute} per {self.unit}; "
                    f"retry in {wait} s",
                    retry_after=wait,
                )
            self._buckets[owner_id] = (tokens - 1.0, now)

    def _forget_full(self, now: float, rate: float, limit: float) -> None:
        self._buckets = {
            key: (tokens, last)
            for key, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * rate < limit
        }


__all__ = ["MAX_BUCKETS", "RateLimiter"]
