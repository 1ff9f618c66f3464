"""Runtimes for privacy tests: a chosen policy profile and a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reelvault.app import compose
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for

OpenRuntime = Callable[..., Runtime]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def open_runtime(tmp_path: Path, clock: FakeClock) -> Iterator[OpenRuntime]:
    opened: list[Runtime] = []

    def _open(policy: str = "standard", name: str = "rt") -> Runtime:
        runtime = compose.open_runtime(
            settings_for(tmp_path / name, policy=policy),
            registry=registry_with_fake(),
            clock=clock,
        )
        opened.append(runtime)
        return runtime

    yield _open
    for runtime in opened:
        runtime.close()
