"""Sign-in backoff and the sign-up limit hold across API nodes (#18).

Behind a load balancer each request may reach another node: counts kept in one node's
memory would let a guesser try ``free failures x nodes`` passwords, and sign up
``limit x nodes`` accounts an hour. Two apps on one SQLite file stand for two nodes
(the storage fixtures run each test on SQLite and on PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from reelvault.db.privacy_models import AttemptCounter
from reelvault.privacy.sweeper import sweep
from reelvault.testing import FakeClock
from tests.two_nodes import login, signup, two_nodes

EMAIL = "ada@example.org"
PASSWORD = "correct horse battery"


def test_failed_sign_ins_on_one_node_make_the_other_wait(tmp_path: Path) -> None:
    with two_nodes(tmp_path) as ((one, other), (runtime, _)):
        assert signup(one, EMAIL, PASSWORD) == 202
        free = runtime.settings.login_failures_before_backoff
        for number in range(free):  # from as many machines: only the account's count blocks
            assert login(one, EMAIL, "not the password", ip=f"198.51.100.{number}") == 401
        assert login(other, EMAIL, PASSWORD, ip="192.0.2.1") == 429
        # And one network address guessing at many accounts, spread over both nodes.
        for number in range(free):
            node = (one, other)[number % 2]
            assert login(node, f"p{number}@example.org", "guess guess", ip="192.0.2.9") == 401
        assert login(one, "q@example.org", "guess guess", ip="192.0.2.9") == 429
        assert login(other, "q@example.org", "guess guess", ip="192.0.2.9") == 429


def test_sign_ups_from_one_address_are_counted_across_nodes(tmp_path: Path) -> None:
    with two_nodes(tmp_path, signups_per_address_per_hour=2) as ((one, other), _):
        assert signup(one, "a@example.org", PASSWORD) == 202
        assert signup(other, "b@example.org", PASSWORD) == 202
        assert signup(one, "c@example.org", PASSWORD) == 429
        assert signup(other, "c@example.org", PASSWORD) == 429


def test_counters_hold_no_address_and_expire(tmp_path: Path) -> None:
    clock = FakeClock()
    with two_nodes(tmp_path) as ((one, other), (runtime, second)):
        runtime.clock = second.clock = clock
        assert signup(one, EMAIL, PASSWORD, ip="203.0.113.77") == 202
        assert login(other, EMAIL, "not the password", ip="203.0.113.77") == 401
        with runtime.session() as session:
            rows = session.scalars(select(AttemptCounter)).all()
            texts = [repr(row.__dict__) for row in rows]
        assert {row.kind for row in rows} == {"login", "signup"}
        assert len(rows) == 3  # the account's and the address's failures, the sign-up
        for text in texts:
            # Whole values: random hex keys hold "ada" now and then (a failure in a full run).
            assert "203.0.113" not in text and "example.org" not in text.lower()
            assert "ada@" not in text.lower()
        clock.advance(hours=2)  # past the sign-up's hour and four times the longest wait
        sweep(runtime)
        with runtime.session() as session:
            assert session.scalars(select(AttemptCounter)).all() == []
        # Counts started over: the next wrong password is free again.
        assert login(one, EMAIL, "not the password", ip="203.0.113.77") == 401
