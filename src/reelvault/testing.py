"""Test helpers, usable as a pytest plugin (``pytest_plugins = ["reelvault.testing"]``).

:class:`FakeEngine` is to engines what httpx's ``MockTransport`` is to transports: a
deterministic stand-in that exercises the whole job path in milliseconds.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pytest

from reelvault.app.compose import open_runtime
from reelvault.config import Settings, load_settings
from reelvault.db.session import make_db_engine, migrate
from reelvault.engines.base import (
    EngineBase,
    EngineLimits,
    EngineParams,
    Frame,
    GenerationRequest,
    ProgressCallback,
    VideoFrames,
)
from reelvault.engines.registry import EngineRegistry, load_registry
from reelvault.errors import EngineError
from reelvault.moderation import Finding, ModeratorBase, ModeratorRegistry, load_moderators
from reelvault.moderation.base import Image
from reelvault.private_files import ensure_private_dir
from reelvault.runtime import Runtime
from reelvault.types import Task

TEST_MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 ASCII bytes


class FakeParams(EngineParams):
    free_text_fields: ClassVar[frozenset[str]] = frozenset({"negative_prompt"})

    delay: float = 0.0
    fail: Literal["none", "engine_error", "crash"] = "none"
    fail_at_frame: int = 0
    negative_prompt: str | None = None  # free text, as in the real engines
    magenta: bool = False  # every frame pure magenta: what FakeModerator blocks


class FakeEngine(EngineBase):
    """Solid-colour frames that change with the frame index and the seed."""

    name: ClassVar[str] = "fake"
    description: ClassVar[str] = "Deterministic test engine: solid colours, no model."
    tasks: ClassVar[frozenset[Task]] = frozenset(Task)
    device: ClassVar[str] = "cpu"
    runs_locally: ClassVar[bool] = True
    params_model: ClassVar[type[EngineParams]] = FakeParams
    limits: ClassVar[EngineLimits] = EngineLimits(min_width=16, min_height=16, min_seconds=0.05)

    def __init__(self) -> None:
        # What each run was given, for tests that check the engine got its inputs back.
        self.received: list[tuple[str | None, FakeParams]] = []

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        self.limits.check(
            width=request.width, height=request.height, fps=request.fps, seconds=request.seconds
        )
        params = request.params
        assert isinstance(params, FakeParams)
        self.received.append((request.prompt, params))
        for name, path in request.inputs.items():
            if not path.is_file() or path.stat().st_size == 0:
                raise EngineError(f"input {name} was not handed to the engine")
        count = request.frame_count

        def frames() -> Iterator[Frame]:
            for index in range(count):
                if params.fail != "none" and index == params.fail_at_frame:
                    if params.fail == "engine_error":
                        raise EngineError("the fake engine failed on purpose")
                    raise RuntimeError("unexpected crash")
                if params.delay:
                    time.sleep(params.delay)
                value = (index * 7 + request.seed) % 200 + 28
                frame = np.full((request.height, request.width, 3), value, dtype=np.uint8)
                frame[:, : request.width // 2, 0] = 255 - value
                if params.magenta:
                    frame[:] = MAGENTA
                yield frame
                progress((index + 1) / count, "rendering")

        return VideoFrames(
            frames=frames(),
            frame_count=count,
            fps=request.fps,
            width=request.width,
            height=request.height,
        )


MAGENTA = (255, 0, 255)


class FakeModerator(ModeratorBase):
    """Finds images mostly of pure magenta, under the category ``testing``: a stand-in
    for an image moderator (a nudity detector) that needs no model."""

    name: ClassVar[str] = "fake"
    description: ClassVar[str] = "Test moderator: blocks images that are mostly pure magenta."
    checks_images: ClassVar[bool] = True

    def __init__(self) -> None:
        self.images_seen = 0

    def check_image(self, image: Image) -> Sequence[Finding]:
        self.images_seen += 1
        # Encoded video is not exact: near magenta counts.
        close = np.abs(image.astype(np.int16) - np.array(MAGENTA, dtype=np.int16)).max(axis=2)
        share = float((close < 48).mean())
        return [Finding("testing", share)] if share > 0 else []


def moderators_with_fake() -> ModeratorRegistry:
    registry = load_moderators(include_entry_points=False)
    registry.register(FakeModerator)
    return registry


class FakeClock:
    """A clock tests move by hand: ``clock.advance(hours=2)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


# Where the database of a test's settings lives when the test does not name one: None
# means SQLite in the data folder; a test-suite fixture may set a function that returns a
# fresh database URL (e.g. on PostgreSQL) for each data folder, so the same tests run on
# every supported database.
database_for_data_dir: Callable[[Path], str] | None = None


_migrated_sqlite: Path | None = None


def _migrated_sqlite_database() -> Path:
    """A SQLite database migrated once in this process, for new data folders to copy.

    Migrating a new database runs every Alembic revision (about a third of a second);
    copying the result takes a millisecond and leaves the same file (the copy keeps its
    private mode), and the runtime's own ``migrate()`` then finds it at the newest revision.
    """
    global _migrated_sqlite
    if _migrated_sqlite is None or not _migrated_sqlite.is_file():
        folder = Path(tempfile.mkdtemp(prefix="reelvault-schema-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "reelvault.db"
        engine = make_db_engine(f"sqlite:///{path}")
        try:
            migrate(engine)
        finally:
            engine.dispose()  # the last connection checkpoints the WAL into the file
        _migrated_sqlite = path
    return _migrated_sqlite


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with everything under ``tmp_path`` and fast worker timings.

    A new data folder's SQLite database starts as a copy of one migrated once per process.
    """
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "lease_seconds": 5.0,
        "heartbeat_seconds": 0.5,
        "poll_seconds": 0.05,
        # Starlette's TestClient sends "Host: testserver"; allowed here, never by default.
        "allowed_hosts": ["testserver"],
    }
    values.update(overrides)
    if database_for_data_dir is not None and "database_url" not in values:
        values["database_url"] = database_for_data_dir(Path(values["data_dir"]))
    settings = load_settings(None, **values)
    if settings.database_url is None:
        database = settings.data_dir / "reelvault.db"
        if not database.exists():
            ensure_private_dir(settings.data_dir)
            shutil.copy2(_migrated_sqlite_database(), database)
    return settings


def registry_with_fake(settings: Settings | None = None) -> EngineRegistry:
    registry = load_registry(settings, include_entry_points=False)
    registry.register(FakeEngine)
    return registry


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    opened = open_runtime(settings, registry=registry_with_fake())
    try:
        yield opened
    finally:
        opened.close()


__all__ = [
    "TEST_MASTER_KEY",
    "FakeClock",
    "FakeEngine",
    "FakeModerator",
    "FakeParams",
    "MAGENTA",
    "moderators_with_fake",
    "registry_with_fake",
    "runtime",
    "settings",
    "settings_for",
]
