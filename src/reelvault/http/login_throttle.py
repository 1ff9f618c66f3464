"""Sign-in backoff per account and per network address, so passwords cannot be guessed fast.

After ``login_failures_before_backoff`` wrong passwords for one address (e-mail) or from
one network address, each further try must wait: 1 s, then doubling up to
``login_backoff_max_seconds``; trying earlier answers 429 with ``Retry-After`` before any
password is checked. The account side is keyed by the e-mail's lookup digest whether or
not an account exists, so the wait does not tell who has an account; the network side by
today's address pseudonym (never the address). A successful sign-in clears its account's
count, not its address's: one good password does not reopen guessing at others.

Counts live in the database (:mod:`reelvault.privacy.attempts`, under a keyed hash of
those keys), so every API node of a deployment sees the same failures. A count starts
over after four times the longest wait without a failure; its row expires then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from reelvault.errors import RateLimitedError
from reelvault.privacy import attempts
from reelvault.runtime import Runtime

TOO_MANY = "too many failed sign-ins: wait before trying again"
KIND = "login"


@dataclass(frozen=True)
class LoginThrottle:
    free_failures: int
    max_wait_s: float

    @property
    def quiet(self) -> timedelta:
        """How long without a failure before a count starts over."""
        return timedelta(seconds=self.max_wait_s * 4)

    def wait_after(self, failures: int) -> float:
        """Seconds to wait after ``failures`` in a row: the last free one waits 1 s."""
        beyond = failures - self.free_failures + 1
        return min(self.max_wait_s, 2.0 ** (beyond - 1)) if beyond > 0 else 0.0

    def check(self, runtime: Runtime, *keys: str) -> None:
        """Raise 429 when any of ``keys`` must still wait (does I/O: call from a thread)."""
        now = runtime.clock()
        wait = max(
            (
                (found.last_at - now).total_seconds() + self.wait_after(found.count)
                for found in attempts.read(runtime, KIND, keys)
            ),
            default=0.0,
        )
        if wait > 0:
            raise RateLimitedError(TOO_MANY, retry_after=max(1, math.ceil(wait)))

    def failed(self, runtime: Runtime, *keys: str) -> None:
        """Count one wrong password against each key."""
        for key in keys:
            attempts.bump(runtime, KIND, key, self.quiet, sliding=True)

    def succeeded(self, runtime: Runtime, key: str) -> None:
        attempts.clear(runtime, KIND, key)


__all__ = ["KIND", "TOO_MANY", "LoginThrottle"]
