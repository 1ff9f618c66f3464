"""Token buckets: per minute or per hour, Retry-After in whole seconds, bounded memory."""

from __future__ import annotations

import pytest

from reelvault.errors import RateLimitedError
from reelvault.http import ratelimit
from reelvault.http.ratelimit import RateLimiter


def test_an_hourly_limit_says_so_and_asks_for_a_long_wait() -> None:
    limiter = RateLimiter.per_hour(2)
    limiter.check("ip_a")
    limiter.check("ip_a")
    with pytest.raises(RateLimitedError) as raised:
        limiter.check("ip_a")
    assert "per hour" in raised.value.message
    assert 1700 < raised.value.retry_after <= 1800
    limiter.check("ip_b")  # another key has its own bucket


def test_full_buckets_are_forgotten_when_there_are_too_many(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ratelimit, "MAX_BUCKETS", 3)
    limiter = RateLimiter(1000)
    for name in ("a", "b", "c"):
        limiter.check(name)
    limiter._buckets["a"] = (1000.0, limiter._buckets["a"][1])  # refilled: same as none
    limiter.check("d")
    assert "a" not in limiter._buckets and {"b", "c", "d"} <= set(limiter._buckets)
