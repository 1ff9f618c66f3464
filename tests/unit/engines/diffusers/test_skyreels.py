"""SkyReels-V2 diffusion forcing from a folder a user points at: a video longer than one
window, made in overlapping windows, with no jump at the seam; image-to-video from the
same folder.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine, skyreels
from reelvault.engines.diffusers.catalogue import find_model
from reelvault.media.encode import encode_h264
from reelvault.media.probe import probe_video
from reelvault.testing import settings_for
from reelvault.types import Task
from tests.unit.engines.diffusers.test_engine import DATA, PROMPT, Progress
from tests.unit.engines.diffusers.tiny_models import build_skyreels_df

FPS = 24


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_skyreels_df(tmp_path_factory.mktemp("tiny-skyreels") / "df")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> DiffusersEngine:
    return DiffusersEngine(settings_for(tmp_path_factory.mktemp("engine"), device="cpu"))


def skyreels_request(
    engine: DiffusersEngine, tmp_path: Path, folder: Path, task: Task, seconds: float
) -> GenerationRequest:
    return GenerationRequest(
        task=task,
        width=32,
        height=32,
        fps=FPS,
        seconds=seconds,
        seed=5,
        scratch_dir=tmp_path,
        prompt=PROMPT,
        params=parse_params(engine, {"model": str(folder), "steps": 2}),
        inputs={"image": DATA / "fullbody_yoga_beach.jpg"} if task is Task.IMAGE_TO_VIDEO else {},
    )


def test_the_window_count_follows_the_pipelines_arithmetic() -> None:
    # 97 frames fit one window; each further window adds 97 - 17 frames (in latents).
    assert [skyreels.windows(n) for n in (9, 97, 101, 177, 181, 721)] == [1, 1, 2, 2, 3, 9]


def test_the_folder_serves_text_and_image_to_video(folder: Path) -> None:
    spec = find_model(str(folder))
    assert spec.family == "skyreels"
    assert set(spec.pipelines) == {Task.TEXT_TO_VIDEO, Task.IMAGE_TO_VIDEO}
    assert spec.max_frames >= 30 * FPS


def test_a_video_longer_than_a_window_has_no_jump_at_the_seam(
    folder: Path, engine: DiffusersEngine, tmp_path: Path
) -> None:
    progress = Progress()
    # 5 s at 24 fps: 120 frames, made as 121 in two windows of up to 97.
    video = engine.run(
        skyreels_request(engine, tmp_path, folder, Task.TEXT_TO_VIDEO, 5.0), progress
    )
    frames = np.stack(list(video.frames)).astype(np.float32)
    assert frames.shape == (120, 32, 32, 3) and skyreels.windows(121) == 2
    # Progress counted every step of both windows, then the decode.
    denoising = [fraction for fraction, stage in progress.calls if stage == "denoising"]
    assert len(denoising) == 1 + 2 * 2 and denoising[-1] == pytest.approx(0.9)
    step = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    seam = skyreels.WINDOW_FRAMES - 1  # the step from the first window's last frame
    # Inside the windows, past the VAE's first frames (its causal start).
    inside = np.concatenate([step[8:seam], step[seam + 1 :]])
    assert step[seam] <= 2.0 * float(np.median(inside)), (step[seam], np.median(inside))
    encoded = encode_h264(
        iter(frames.astype(np.uint8)), tmp_path / "long.mp4", fps=FPS, width=32, height=32
    )
    assert probe_video(encoded.path).frame_count == 120


def test_image_to_video_loads_the_sibling_pipeline(
    folder: Path, engine: DiffusersEngine, tmp_path: Path
) -> None:
    video = engine.run(
        skyreels_request(engine, tmp_path, folder, Task.IMAGE_TO_VIDEO, 0.5), Progress()
    )
    assert (video.frame_count, video.width, video.height) == (12, 32, 32)
    assert len(list(video.frames)) == 12


def test_the_attention_backend_reaches_the_transformer(
    folder: Path, engine: DiffusersEngine, tmp_path: Path
) -> None:
    request = skyreels_request(engine, tmp_path, folder, Task.TEXT_TO_VIDEO, 0.5)
    request = replace(
        request,
        params=parse_params(
            engine, {"model": str(folder), "steps": 2, "attention_backend": "_native_math"}
        ),
    )
    assert len(list(engine.run(request, Progress()).frames)) == 12
    loaded = engine.cache.keys()
    key = next(key for key in loaded if key.tuning.attention_backend != "default")
    pipeline = engine.cache.get(key, None, None)
    backend = pipeline.transformer.blocks[0].attn1.processor._attention_backend
    assert str(backend) in {"_native_math", "AttentionBackendName._NATIVE_MATH"}
