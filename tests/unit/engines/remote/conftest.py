"""Fake provider servers, a RemoteConfig pointing at them, and helpers to run the engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from reelvault.engines.base import GenerationRequest, VideoFrames, parse_params
from reelvault.engines.remote import RemoteConfig, RemoteEngine
from reelvault.types import Task
from tests.unit.engines.remote.fakes import MAPPING, WORKFLOW, FakeComfy, FakeFal, FakeReplicate

DATA = Path(__file__).resolve().parents[3] / "data"


@pytest.fixture
def fal() -> Iterator[FakeFal]:
    server = FakeFal()
    yield server
    server.close()


@pytest.fixture
def replicate() -> Iterator[FakeReplicate]:
    server = FakeReplicate()
    yield server
    server.close()


@pytest.fixture
def comfy() -> Iterator[FakeComfy]:
    server = FakeComfy()
    yield server
    server.close()


def remote_config(
    tmp_path: Path,
    *,
    fal: FakeFal | None = None,
    replicate: FakeReplicate | None = None,
    comfy: FakeComfy | None = None,
    **overrides: Any,
) -> RemoteConfig:
    workflow = tmp_path / "workflow.json"
    workflow.write_text(json.dumps(WORKFLOW))
    values: dict[str, Any] = {
        "fal_key": SecretStr("test-key") if fal else None,
        "fal_queue_url": fal.url if fal else "https://queue.fal.run",
        "replicate_api_token": SecretStr("test-token") if replicate else None,
        "replicate_api_url": f"{replicate.url}/v1" if replicate else "https://api.replicate.com/v1",
        "comfyui_url": comfy.url if comfy else None,
        "comfyui_workflow": workflow if comfy else None,
        "comfyui_mapping": MAPPING,
        "timeout_seconds": 20.0,
        "read_timeout": 3.0,
        "connect_timeout": 2.0,
        "poll_seconds": 0.02,
        "max_retry_after": 5.0,
        "allow_private": True,
        "ledger_dir": tmp_path / "ledger",
    }
    values.update(overrides)
    return RemoteConfig(**values)


class Progress:
    """Records reports; raises JobCancelledError after ``cancel_after`` reports if set."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[tuple[float, str]] = []
        self.cancel_after = cancel_after

    def __call__(self, fraction: float, stage: str) -> None:
        from reelvault.errors import JobCancelledError

        self.reports.append((fraction, stage))
        if self.cancel_after is not None and len(self.reports) >= self.cancel_after:
            raise JobCancelledError("the job was cancelled")


def request_for(
    engine: RemoteEngine,
    scratch: Path,
    *,
    model: str,
    task: Task = Task.TEXT_TO_VIDEO,
    prompt: str | None = "a fox running through snow",
    **params: Any,
) -> GenerationRequest:
    scratch.mkdir(parents=True, exist_ok=True)
    inputs: dict[str, Path] = {}
    if task in (Task.IMAGE_TO_VIDEO, Task.DANCE):
        inputs["image"] = scratch / "image.jpg"
        inputs["image"].write_bytes((DATA / "fullbody_yoga_beach.jpg").read_bytes())
    if task is Task.DANCE:
        inputs["reference_video"] = scratch / "reference_video.mp4"
        inputs["reference_video"].write_bytes((DATA / "SYNTHETIC_dance_moves_576.mp4").read_bytes())
    return GenerationRequest(
        task=task,
        width=640,
        height=360,
        fps=24,
        seconds=2.0,
        seed=7,
        scratch_dir=scratch,
        prompt=prompt,
        params=parse_params(engine, {"model": model, **params}),
        inputs=inputs,
    )


def consume(video: VideoFrames) -> int:
    count = 0
    for frame in video.frames:
        assert frame.shape == (video.height, video.width, 3)
        count += 1
    return count
