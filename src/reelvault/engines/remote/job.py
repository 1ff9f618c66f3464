"""What a provider is asked to do, and what is remembered of a request it accepted.

A :class:`RemoteHandle` holds only the provider's request id, its control URLs and the
ids of uploads to delete: never the payload. It is noted in the :class:`RequestLedger`
while the request is in flight, so that if this worker dies the retry can cancel the
orphaned request (and delete its uploads) before starting a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from reelvault.engines.base import ProgressCallback
from reelvault.engines.remote.http import Deadline
from reelvault.types import Task

LEDGER_MAX_AGE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class RemoteJob:
    """One generation at a provider. The prompt is personal data: never in a repr."""

    task: Task
    model: str
    width: int
    height: int
    fps: int
    seconds: float
    seed: int
    scratch_dir: Path
    prompt: str | None = None
    negative_prompt: str | None = None
    image: Path | None = None
    reference_video: Path | None = None
    extra_input: Mapping[str, Any] = field(default_factory=dict)
    image_field: str | None = None
    video_field: str | None = None

    def __repr__(self) -> str:
        return f"RemoteJob(task={self.task.value!r}, model={self.model!r}, prompt=<redacted>)"


@dataclass
class RemoteHandle:
    """The provider's id for the request and how to cancel it / clean up after it."""

    provider: str
    request_id: str | None = None
    urls: dict[str, str] = field(default_factory=dict)
    uploads: list[str] = field(default_factory=list)
    finished: bool = False


@dataclass
class Watch:
    """What a provider reports to while it works."""

    progress: ProgressCallback
    deadline: Deadline
    handle: RemoteHandle
    noted: Callable[[RemoteHandle], None] = field(default=lambda _handle: None)
    _fraction: float = field(default=0.0, init=False)
    _stage: str = field(default="sending to provider", init=False)

    def tick(self) -> None:
        """Re-report the last progress: raises JobCancelledError once cancelled."""
        self.progress(self._fraction, self._stage)

    def report(self, fraction: float, stage: str) -> None:
        self._fraction = max(self._fraction, min(1.0, fraction))
        self._stage = stage
        self.progress(self._fraction, stage)

    def note(self) -> None:
        """Remember the handle's current state (request id, uploads) in the ledger."""
        self.noted(self.handle)


class Provider(Protocol):
    name: ClassVar[str]
    title: ClassVar[str]

    def run(self, job: RemoteJob, watch: Watch) -> Path:
        """Submit, wait, and download the output video into ``job.scratch_dir``."""
        ...

    def cancel(self, handle: RemoteHandle) -> None:
        """Ask the provider to stop the request (best effort; may raise)."""
        ...

    def cleanup(self, handle: RemoteHandle) -> None:
        """Delete what was uploaded for the request, where the provider allows it."""
        ...


class RequestLedger:
    """In-flight request handles on disk, one small JSON file per job (no payload)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path | None:
        if self.directory is None or not key or "/" in key or key.startswith("."):
            return None
        return self.directory / f"{key}.json"

    def note(self, key: str, handle: RemoteHandle) -> None:
        path = self._path(key)
        if path is None:
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle_file:
            json.dump(asdict(handle), handle_file)
        temporary.replace(path)

    def take(self, key: str) -> RemoteHandle | None:
        """The handle a previous attempt left behind (it is removed from the ledger)."""
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            handle = RemoteHandle(
                provider=str(data["provider"]),
                request_id=data.get("request_id"),
                urls={str(k): str(v) for k, v in dict(data.get("urls", {})).items()},
                uploads=[str(item) for item in data.get("uploads", [])],
                finished=bool(data.get("finished", False)),
            )
        except (ValueError, KeyError, TypeError):
            handle = None
        path.unlink(missing_ok=True)
        return handle

    def clear(self, key: str) -> None:
        path = self._path(key)
        if path is not None:
            path.unlink(missing_ok=True)

    def prune(self) -> None:
        """Forget entries of jobs that never came back (a worker died, the job failed)."""
        if self.directory is None or not self.directory.is_dir():
            return
        cutoff = time.time() - LEDGER_MAX_AGE_SECONDS
        for entry in self.directory.iterdir():
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()


__all__ = ["Provider", "RemoteHandle", "RemoteJob", "RequestLedger", "Watch"]
