"""LTX-2 through a real job: its generated sound track ends up in the MP4 as AAC.

A tiny random LTX-2 pipeline (video, audio VAE and vocoder) is saved to a folder and
named by its path, as a user names a downloaded model folder.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

from reelvault.api.schemas.native import JobOut
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine
from reelvault.engines.diffusers.catalogue import find_model
from reelvault.engines.registry import load_registry
from reelvault.errors import ValidationError
from reelvault.jobs.queries import export_output, get_job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.runtime import Runtime
from reelvault.testing import settings_for
from reelvault.types import JobStatus, Task
from tests.unit.api.conftest import wait_for
from tests.unit.engines.diffusers.tiny_ltx2 import build_ltx2

FPS = 24
SECONDS = 0.5  # 12 frames; the model makes 17 (8k + 1), the job keeps 12


@pytest.fixture(scope="module")
def ltx2_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_ltx2(tmp_path_factory.mktemp("tiny-ltx2") / "ltx2")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    settings = settings_for(tmp_path, device="cpu")
    registry = load_registry(settings, include_entry_points=False)
    if "diffusers" not in registry.names():
        registry.register(DiffusersEngine)
    opened = open_runtime(settings, registry=registry)
    try:
        yield opened
    finally:
        opened.close()


def _run(runtime: Runtime, folder: Path, task: Task = Task.TEXT_TO_VIDEO, **params: object) -> str:
    job = submit_job(
        runtime,
        JobRequest(
            prompt="a dog running on the beach",
            task=task,
            engine="diffusers",
            width=32,
            height=32,
            fps=FPS,
            seconds=SECONDS,
            seed=3,
            params={"model": str(folder), "steps": 2, **params},
        ),
    )
    Worker(runtime, worker_id="test-worker").run_once()
    return job.id


def _streams(path: Path) -> tuple[float, float | None, str, str | None]:
    """(video seconds, audio seconds or None, video codec, audio codec or None)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video))
        container.seek(0)
        audio_seconds: float | None = None
        audio_codec: str | None = None
        if container.streams.audio:
            audio = container.streams.audio[0]
            audio_codec = audio.codec_context.name
            samples = sum(frame.samples for frame in container.decode(audio))
            audio_seconds = samples / audio.codec_context.sample_rate
        return frames / FPS, audio_seconds, video.codec_context.name, audio_codec


def test_a_folder_of_ltx2_is_recognised_with_both_tasks(ltx2_folder: Path) -> None:
    spec = find_model(str(ltx2_folder))
    assert spec.family == "ltx2"
    assert set(spec.pipelines) == {Task.TEXT_TO_VIDEO, Task.IMAGE_TO_VIDEO}


def test_the_generated_sound_is_muxed_as_aac_as_long_as_the_video(
    runtime: Runtime, ltx2_folder: Path, tmp_path: Path
) -> None:
    job_id = _run(runtime, ltx2_folder)
    view = get_job(runtime, job_id)
    assert view.status is JobStatus.COMPLETED, view.error_message
    export_output(runtime, job_id, tmp_path / "dog.mp4")
    video_seconds, audio_seconds, video_codec, audio_codec = _streams(tmp_path / "dog.mp4")
    assert (video_codec, audio_codec) == ("h264", "aac")
    assert video_seconds == pytest.approx(SECONDS)
    assert audio_seconds is not None
    assert abs(audio_seconds - video_seconds) <= 1 / FPS
    assert JobOut.of(view).has_audio is True


def test_audio_off_gives_a_silent_video(
    runtime: Runtime, ltx2_folder: Path, tmp_path: Path
) -> None:
    job_id = _run(runtime, ltx2_folder, audio=False)
    view = get_job(runtime, job_id)
    assert view.status is JobStatus.COMPLETED, view.error_message
    export_output(runtime, job_id, tmp_path / "quiet.mp4")
    video_seconds, audio_seconds, _, audio_codec = _streams(tmp_path / "quiet.mp4")
    assert video_seconds == pytest.approx(SECONDS)
    assert (audio_seconds, audio_codec) == (None, None)
    assert JobOut.of(view).has_audio is False


def test_image_to_video_keeps_a_sound_track_of_the_videos_length(
    ltx2_folder: Path, tmp_path: Path
) -> None:
    from PIL import Image

    image = tmp_path / "first.png"
    Image.new("RGB", (32, 32), (200, 40, 40)).save(image)
    engine = DiffusersEngine(settings_for(tmp_path, device="cpu"))
    video = engine.run(
        GenerationRequest(
            task=Task.IMAGE_TO_VIDEO,
            width=32,
            height=32,
            fps=FPS,
            seconds=SECONDS,
            seed=1,
            scratch_dir=tmp_path / "scratch",
            prompt="a cat walking",
            params=parse_params(engine, {"model": str(ltx2_folder), "steps": 2}),
            inputs={"image": image},
        ),
        lambda _fraction, _stage: None,
    )
    assert len(list(video.frames)) == video.frame_count == round(SECONDS * FPS)
    assert video.audio_path is not None
    with wave.open(str(video.audio_path)) as track:
        assert track.getnframes() == round(SECONDS * track.getframerate())


def test_taylorseer_is_hooked_on_ltx2_while_it_denoises_and_block_caches_are_refused(
    ltx2_folder: Path, tmp_path: Path
) -> None:
    from tests.unit.engines.diffusers.test_acceleration import HookProbe

    engine = DiffusersEngine(settings_for(tmp_path, device="cpu"))

    def request(cache: str) -> GenerationRequest:
        return GenerationRequest(
            task=Task.TEXT_TO_VIDEO,
            width=32,
            height=32,
            fps=FPS,
            seconds=SECONDS,
            seed=1,
            scratch_dir=tmp_path,
            prompt="a cat walking",
            params=parse_params(engine, {"model": str(ltx2_folder), "steps": 2, "cache": cache}),
        )

    # LTX-2's transformer block is not in diffusers' block registry: refused up front.
    with pytest.raises(ValidationError, match=r"choose one of: none, taylorseer$"):
        engine.run(request("first_block"), lambda _f, _s: None)
    probe = HookProbe(engine)
    video = engine.run(request("taylorseer"), probe)
    assert len(list(video.frames)) == video.frame_count
    during = [seen for seen in probe.seen if seen[0] is not None]
    assert during and all(
        name == "TaylorSeerCacheConfig" and "taylorseer_cache" in hooks for name, hooks in during
    ), probe.seen


def _sound(path: Path) -> tuple[np.ndarray, int]:
    """The first channel of the file's sound, and its rate."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [frame.to_ndarray()[0] for frame in container.decode(stream)]
        return np.concatenate(chunks).astype(np.float64), int(stream.codec_context.sample_rate)


def test_an_extension_sounds_like_its_source_then_has_its_own_sound(
    runtime: Runtime, ltx2_folder: Path, tmp_path: Path
) -> None:
    """LTX-2 extends by image→video from the last frame and makes sound for the new part:
    the stitched video carries the source's sound under the source's frames, then that."""
    # The API takes model ids only: the folder goes in the user catalogue.
    entry = {
        "id": "tiny-ltx2",
        "path": str(ltx2_folder),
        "family": "ltx2",
        "pipelines": {
            "text_to_video": "LTX2Pipeline",
            "image_to_video": "LTX2ImageToVideoPipeline",
        },
        "sizes": ["32x32"],
        "default_size": "32x32",
        "max_frames": 33,
        "default_frames": 17,
        "fps": [FPS],
        "steps": 2,
        "guidance": 3.0,
        "dtype": "float32",
        "vram_gb": 0.1,
        "licence": "test-only",
    }
    runtime.settings.resolved_models_dir.mkdir(parents=True, exist_ok=True)
    (runtime.settings.resolved_models_dir / "models.yaml").write_text(
        yaml.safe_dump({"models": [entry]}), "utf-8"
    )
    app = create_app(runtime.settings, runtime=runtime, worker_mode="thread")
    with TestClient(app) as api:
        made = api.post(
            "/api/v1/jobs",
            json={
                "model": "tiny-ltx2",
                "prompt": "a dog running on the beach",
                "size": "32x32",
                "fps": FPS,
                "seconds": SECONDS,
                "seed": 3,
            },
        )
        assert made.status_code == 201, made.text
        source = wait_for(api, made.json()["id"])
        assert source["status"] == "completed", source["error"]
        extended = api.post(
            f"/api/v1/jobs/{source['id']}/extend", json={"prompt": "it runs on", "seconds": 0.5}
        )
        assert extended.status_code == 201, extended.text
        done = wait_for(api, extended.json()["id"])
        assert done["status"] == "completed", done["error"]
        assert done["has_audio"] is True
        for job_id, name in ((source["id"], "source.mp4"), (done["id"], "extended.mp4")):
            (tmp_path / name).write_bytes(api.get(f"/api/v1/jobs/{job_id}/content").content)
    video_seconds, audio_seconds, _, audio_codec = _streams(tmp_path / "extended.mp4")
    assert video_seconds == pytest.approx(2 * SECONDS)
    assert audio_codec == "aac" and audio_seconds is not None
    assert abs(audio_seconds - video_seconds) <= 1 / FPS  # sound all the way through
    before, rate = _sound(tmp_path / "source.mp4")
    after, _ = _sound(tmp_path / "extended.mp4")
    part = int(0.4 * rate)  # the source's part, clear of the join's ramp
    # AAC twice over the tiny model's noise: 0.94 measured; a new track would be near 0.
    assert np.corrcoef(before[:part], after[:part])[0, 1] > 0.8
    assert np.sqrt(np.mean(after[int(0.55 * rate) :] ** 2)) > 0.01  # the new part has sound
