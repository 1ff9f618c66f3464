"""The dance's pipelined stages: the same frames in order, and every thread gone after an
error or a cancellation (in the engine and in a real job)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import reelvault.engines.puppet.engine as puppet
from reelvault.engines.base import GenerationRequest
from reelvault.engines.puppet import PuppetEngine
from reelvault.engines.puppet.stages import Stages, StoppedError
from reelvault.errors import JobCancelledError, ValidationError
from reelvault.jobs.lifecycle import cancel_job
from reelvault.jobs.queries import get_job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.runner import scratch_path
from reelvault.jobs.submission import submit_job
from reelvault.jobs.uploads import store_upload
from reelvault.jobs.worker import Worker
from reelvault.runtime import Runtime
from reelvault.types import JobStatus, Task

DATA = Path(__file__).parents[2] / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
DANCE = DATA / "SYNTHETIC_dance_moves_576.mp4"


def stage_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("reelvault-dance")] + [
        t.name for t in threading.enumerate() if t.name.startswith("reelvault-render")
    ]


def request(tmp_path: Path, seconds: float = 1.0, size: int = 128) -> GenerationRequest:
    return GenerationRequest(
        task=Task.DANCE,
        width=size,
        height=size,
        fps=30,
        seconds=seconds,
        seed=0,
        scratch_dir=tmp_path,
        inputs={"image": PHOTO, "reference_video": DANCE},
    )


def test_pipelined_frames_are_the_sequential_frames_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(puppet, "_PIECE_MIN", 20)  # 2 s: two trackers, one per half
    assert len(puppet._pieces(60, 30)) == 2
    sequential = PuppetEngine(pipelined=False).run(request(tmp_path, 2), lambda f, s: None)
    pipelined = PuppetEngine(pipelined=True).run(request(tmp_path, 2), lambda f, s: None)
    expected, frames = list(sequential.frames), list(pipelined.frames)
    assert len(frames) == len(expected) == pipelined.frame_count == 60
    assert all(np.array_equal(a, b) for a, b in zip(frames, expected, strict=True))
    assert not any(np.array_equal(frames[0], f) for f in frames[5:])  # it does move
    assert stage_threads() == []


def test_items_come_out_in_order_at_most_depth_ahead() -> None:
    made: list[int] = []

    def numbers() -> Iterator[int]:
        for n in range(50):
            made.append(n)
            time.sleep(0.001 * (n % 3))  # uneven producer
            yield n

    with Stages("dance-test") as stages:
        seen = []
        for n in stages.ahead("numbers", numbers(), depth=2):
            time.sleep(0.002)
            # made, queued (2), and the one being put: never more than depth + 2 ahead
            assert len(made) - len(seen) <= 4
            seen.append(n)
    assert seen == list(range(50))
    assert stage_threads() == []


def test_a_failing_producer_stops_the_consumer_and_every_stage() -> None:
    beside_ran = threading.Event()

    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("decoder broke")

    def forever() -> int:
        beside_ran.set()
        while not stages.stopped.is_set():
            time.sleep(0.01)
        raise StoppedError("stopped")

    with pytest.raises(RuntimeError, match="decoder broke"), Stages("dance-test") as stages:
        stages.beside("other", forever)
        for _ in stages.ahead("frames", failing(), depth=2):
            pass
    assert beside_ran.is_set()
    assert stage_threads() == []


def test_a_consumer_that_stops_early_stops_a_blocked_producer() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.set()

    with pytest.raises(ValueError, match="encoder broke"), Stages("dance-test") as stages:
        for n in stages.ahead("frames", endless(), depth=2):
            if n == 3:
                raise ValueError("encoder broke")
    assert closed.is_set()  # the producer's generator was closed, in its thread
    assert stage_threads() == []


def test_a_photo_without_a_person_stops_the_tracking_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_person(*args: object) -> object:
        raise ValidationError("no person found in the photo", param="image")

    monkeypatch.setattr(puppet, "_person", no_person)
    read: list[float] = []
    with pytest.raises(ValidationError, match="no person"):
        PuppetEngine().run(
            request(tmp_path, seconds=4),
            lambda f, s: read.append(f) if s == "reading the dance" else None,
        )
    assert len(read) <= 3  # of 120 reference frames
    assert stage_threads() == []


def test_cancelling_while_tracking_stops_promptly(tmp_path: Path) -> None:
    tracked: list[float] = []
    raised_at: list[float] = []

    def progress(fraction: float, stage: str) -> None:
        if stage == "reading the dance":
            tracked.append(fraction)
            if len(tracked) == 3:
                raised_at.append(time.perf_counter())
                raise JobCancelledError("the job was cancelled")

    with pytest.raises(JobCancelledError):
        # 120 frames: two trackers, the second in its own thread.
        PuppetEngine().run(request(tmp_path, seconds=4), progress)
    # Both trackers stopped at their next frame, not at the end of their half.
    assert time.perf_counter() - raised_at[0] < 2.0
    assert len(tracked) == 3  # of 120 frames: not one more was reported
    assert stage_threads() == []


def test_cancelling_while_rendering_stops_the_render_thread(tmp_path: Path) -> None:
    rendered = 0
    original = puppet.Rig.render

    def counting(self: puppet.Rig, *args: object) -> object:
        nonlocal rendered
        rendered += 1
        return original(self, *args)  # type: ignore[arg-type]

    def progress(fraction: float, stage: str) -> None:
        if stage == "rendering":
            time.sleep(0.05)  # a slow consumer (the encoder): the render thread must wait
            if fraction > 0.7:  # past half of the frames (0.4 + 0.6 x done)
                raise JobCancelledError("the job was cancelled")

    video = PuppetEngine().run(request(tmp_path, seconds=4), progress)
    puppet.Rig.render = counting  # type: ignore[method-assign]
    try:
        with pytest.raises(JobCancelledError):
            for _ in video.frames:
                pass
    finally:
        puppet.Rig.render = original  # type: ignore[method-assign]
    assert stage_threads() == []
    # Cancelled past half of 120 frames: the render thread ran at most a few frames ahead.
    assert 60 <= rendered < 60 + 8, rendered


def _dance_job(runtime: Runtime) -> str:
    uploads = [
        store_upload(runtime, "image", iter([PHOTO.read_bytes()]), max_bytes=10**7),
        store_upload(runtime, "reference_video", iter([DANCE.read_bytes()]), max_bytes=10**7),
    ]
    job_request = JobRequest(
        task=Task.DANCE, engine="puppet", width=128, height=128, fps=30, seconds=4, seed=1
    )
    return submit_job(runtime, job_request, uploads).id


def test_a_failing_render_fails_the_job_and_leaves_no_thread_or_scratch(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = puppet.Rig.render
    calls = 0

    def breaks(self: puppet.Rig, *args: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 10:
            raise RuntimeError("render broke")
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(puppet.Rig, "render", breaks)
    job_id = _dance_job(runtime)
    Worker(runtime, worker_id="w1").run_once()
    final = get_job(runtime, job_id)
    assert final.status is JobStatus.FAILED
    assert calls == 10
    assert stage_threads() == []
    assert not scratch_path(runtime, job_id).exists()


def test_cancelling_a_dance_job_stops_it_promptly(runtime: Runtime) -> None:
    job_id = _dance_job(runtime)
    worker = threading.Thread(target=Worker(runtime, worker_id="w1").run_once)
    worker.start()
    deadline = time.monotonic() + 120
    while get_job(runtime, job_id).progress < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert get_job(runtime, job_id).status is JobStatus.IN_PROGRESS
    cancelled = time.monotonic()
    cancel_job(runtime, job_id)
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert time.monotonic() - cancelled < 10  # a progress report away, not the whole dance
    assert get_job(runtime, job_id).status is JobStatus.CANCELLED
    assert stage_threads() == []
    assert not scratch_path(runtime, job_id).exists()
