"""Per-owner token buckets: ``rate`` actions per minute, bursts up to the same number."""

from __future__ import annotations

import math
import threading
import time

from reelvault.errors import RateLimitedError


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}  # owner -> (tokens, last time)
        self._lock = threading.Lock()

    def check(self, owner_id: str) -> None:
        """Take one token or raise :class:`RateLimitedError` with the seconds to wait."""
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(owner_id, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[owner_id] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / rate)
                raise RateLimitedError(
                    f"too many requests: at most {self.per_minute} per minute; retry in {wait} s",
                    retry_after=wait,
                )
            self._buckets[owner_id] = (tokens - 1.0, now)


__all__ = ["RateLimiter"]
