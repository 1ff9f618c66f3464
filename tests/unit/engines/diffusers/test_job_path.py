"""A diffusers job through the real queue, worker, runner, encoder and vault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reelvault.app.compose import open_runtime
from reelvault.config import Settings
from reelvault.engines.diffusers import DiffusersEngine, cogvideox
from reelvault.engines.diffusers.call import PipelineCall, PreparedCall
from reelvault.engines.registry import load_registry
from reelvault.jobs.queries import export_output, get_job
from reelvault.jobs.request import JobRequest, resolve_engine
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.media.probe import probe_video
from reelvault.runtime import Runtime
from reelvault.types import JobStatus, Task

NEGATIVE = "no Saffron Pangolin anywhere"


@pytest.fixture
def diffusers_runtime(tiny_settings: Settings) -> Iterator[Runtime]:
    registry = load_registry(tiny_settings, include_entry_points=False)
    if "diffusers" not in registry.names():
        registry.register(DiffusersEngine)
    runtime = open_runtime(tiny_settings, registry=registry)
    try:
        yield runtime
    finally:
        runtime.close()


def _run(runtime: Runtime, size: tuple[int, int] = (32, 32), **params: object) -> str:
    job = submit_job(
        runtime,
        JobRequest(
            prompt="a fox running through snow",
            task=Task.TEXT_TO_VIDEO,
            engine="diffusers",
            width=size[0],
            height=size[1],
            fps=8,
            seconds=1.5,
            seed=5,
            params=params,
        ),
    )
    Worker(runtime, worker_id="test-worker").run_once()
    return job.id


def test_a_model_id_routes_to_the_engine_and_the_job_completes(
    diffusers_runtime: Runtime, tmp_path: Path
) -> None:
    engine, extra = resolve_engine(
        diffusers_runtime, task=Task.TEXT_TO_VIDEO, engine=None, model="tiny-cogvideox"
    )
    assert (engine, extra) == ("diffusers", {"model": "tiny-cogvideox"})
    job_id = _run(diffusers_runtime, steps=2, **extra)
    view = get_job(diffusers_runtime, job_id)
    assert view.status is JobStatus.COMPLETED, view.error_message
    export_output(diffusers_runtime, job_id, tmp_path / "fox.mp4")
    info = probe_video(tmp_path / "fox.mp4")
    assert (info.frame_count, info.width, info.height, info.fps) == (12, 32, 32, 8)


def test_a_job_for_a_model_not_pulled_fails_naming_the_pull_command(
    diffusers_runtime: Runtime,
) -> None:
    job_id = _run(diffusers_runtime, size=(720, 480), model="cogvideox-2b")
    view = get_job(diffusers_runtime, job_id)
    assert view.status is JobStatus.FAILED
    assert view.error_code == "engine_error"
    assert view.error_message == (
        "model cogvideox-2b is not installed; run `reelvault models pull cogvideox-2b`"
    )


def test_the_negative_prompt_reaches_the_pipeline_but_not_the_database(
    diffusers_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A free-text parameter is prompt data: kept encrypted with the prompt, out of jobs.params.
    seen: list[str] = []
    prepare = cogvideox.prepare

    def spy(pipeline: Any, call: PipelineCall) -> PreparedCall:
        seen.append(call.negative_prompt)
        return prepare(pipeline, call)

    monkeypatch.setattr(cogvideox, "prepare", spy)
    job_id = _run(diffusers_runtime, steps=2, model="tiny-cogvideox", negative_prompt=NEGATIVE)
    view = get_job(diffusers_runtime, job_id)
    assert view.status is JobStatus.COMPLETED, view.error_message
    assert seen == [NEGATIVE]
    assert "negative_prompt" not in view.params
    database = sorted(diffusers_runtime.settings.data_dir.glob("*.db*"))  # with the WAL
    assert any(path.name.endswith("-wal") for path in database)
    assert [path.name for path in database if b"Saffron" in path.read_bytes()] == []
