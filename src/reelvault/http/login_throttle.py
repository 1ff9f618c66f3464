"""Sign-in backoff per account and per network address, so passwords cannot be guessed fast.

After ``login_failures_before_backoff`` wrong passwords for one address (e-mail) or from
one network address, each further try must wait: 1 s, then doubling up to
``login_backoff_max_seconds``; trying earlier answers 429 with ``Retry-After`` before any
password is checked. The account side is keyed by the e-mail's lookup digest whether or
not an account exists, so the wait does not tell who has an account; the network side by
today's address pseudonym (never the address). A successful sign-in clears its account's
count, not its address's: one good password does not reopen guessing at others.

Counts live in memory, per API process: behind several API nodes each node counts its
own, which multiplies the allowance by the number of nodes (see docs/security.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from reelvault.errors import RateLimitedError

MAX_ENTRIES = 50_000
"""Entries kept before the oldest are dropped (bounded memory under a spray of addresses)."""

TOO_MANY = "too many failed sign-ins: wait before trying again"


@dataclass
class _Failures:
    count: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


@dataclass
class LoginThrottle:
    free_failures: int
    max_wait_s: float
    clock: Callable[[], float] = time.monotonic
    _entries: dict[str, _Failures] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, *keys: str) -> None:
        """Raise 429 when any of ``keys`` must still wait."""
        now = self.clock()
        with self._lock:
            wait = max(
                (entry.blocked_until - now for k in keys if (entry := self._entries.get(k))),
                default=0.0,
            )
        if wait > 0:
            raise RateLimitedError(TOO_MANY, retry_after=max(1, math.ceil(wait)))

    def failed(self, *keys: str) -> None:
        """Count one wrong password against each key; past the free ones, start a wait."""
        now = self.clock()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._forget_oldest()
            for key in keys:
                entry = self._entries.setdefault(key, _Failures())
                if now - entry.last > self.max_wait_s * 4:
                    entry.count = 0  # long quiet: start over
                entry.count += 1
                entry.last = now
                beyond = entry.count - self.free_failures + 1  # the 5th failure: wait 1 s
                if beyond > 0:
                    entry.blocked_until = now + min(self.max_wait_s, 2.0 ** (beyond - 1))

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _forget_oldest(self) -> None:
        by_age = sorted(self._entries, key=lambda k: self._entries[k].last)
        for key in by_age[: len(by_age) // 2]:
            del self._entries[key]


__all__ = ["TOO_MANY", "LoginThrottle"]
