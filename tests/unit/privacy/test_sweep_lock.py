"""One retention sweep at a time across the nodes of a deployment (SQLite and PostgreSQL).

Two runtimes on the same database are two nodes. Proven by removal: with ``sweep``
not taking the lock, the second node sweeps while the first is still sweeping.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reelvault.app.compose import open_runtime
from reelvault.privacy import sweeper
from reelvault.privacy.sweep_lock import sweep_lock
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for

from ..jobs.helpers import fake_request, run_to_end


def _node(tmp_path: Path, clock: FakeClock) -> Runtime:
    settings = settings_for(tmp_path, policy="ephemeral")
    return open_runtime(settings, registry=registry_with_fake(), clock=clock)


def test_a_second_node_skips_while_the_first_sweeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    first, second = _node(tmp_path, clock), _node(tmp_path, clock)
    try:
        run_to_end(first, fake_request())
        clock.advance(hours=2)  # the ephemeral download window is over
        inside, release = threading.Event(), threading.Event()
        clean = sweeper.clean_stale_scratch

        def paused(runtime: Runtime) -> int:
            if runtime is first:
                inside.set()
                assert release.wait(30)
            return clean(runtime)

        monkeypatch.setattr(sweeper, "clean_stale_scratch", paused)
        reports: list[sweeper.SweepReport] = []
        running = threading.Thread(target=lambda: reports.append(sweep(first)))
        running.start()
        assert inside.wait(30)
        try:
            during = sweep(second)  # the first node is mid-sweep
        finally:
            release.set()
            running.join(30)
        assert during.skipped and during.total == 0
        assert reports[0].objects_shredded == 3 and not reports[0].skipped
        after = sweep(second)  # the lock was released: the next round runs
        assert not after.skipped
    finally:
        first.close()
        second.close()


def test_the_lock_is_held_by_one_holder_at_a_time(tmp_path: Path) -> None:
    clock = FakeClock()
    first, second = _node(tmp_path, clock), _node(tmp_path, clock)
    try:
        with sweep_lock(first) as held:
            assert held
            with sweep_lock(second) as also:
                assert not also
        with sweep_lock(second) as held:
            assert held
    finally:
        first.close()
        second.close()
