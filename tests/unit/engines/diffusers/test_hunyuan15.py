"""HunyuanVideo 1.5 from folders a user points at: an MP4 of the frames asked for, the
request's guidance on the pipeline's guider, progress and cancellation per transformer pass.

Tiny random pipelines (one folder per task, as released) are saved and named by path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine
from reelvault.engines.diffusers.catalogue import find_model
from reelvault.errors import JobCancelledError, ValidationError
from reelvault.media.encode import encode_h264
from reelvault.media.probe import probe_video
from reelvault.testing import settings_for
from reelvault.types import Task
from tests.unit.engines.diffusers.test_acceleration import HookProbe
from tests.unit.engines.diffusers.test_engine import DATA, PROMPT, Progress
from tests.unit.engines.diffusers.tiny_hunyuan import build_hunyuan15_i2v, build_hunyuan15_t2v

FPS = 24
SECONDS = 0.5  # 12 frames; the model makes 13 (4k + 1), the job keeps 12


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[Task, Path]:
    root = tmp_path_factory.mktemp("tiny-hunyuan15")
    return {
        Task.TEXT_TO_VIDEO: build_hunyuan15_t2v(root / "t2v"),
        Task.IMAGE_TO_VIDEO: build_hunyuan15_i2v(root / "i2v"),
    }


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> DiffusersEngine:
    return DiffusersEngine(settings_for(tmp_path_factory.mktemp("engine"), device="cpu"))


def hunyuan_request(
    engine: DiffusersEngine,
    tmp_path: Path,
    folder: Path,
    task: Task,
    size: tuple[int, int] = (32, 32),
    **params: Any,
) -> GenerationRequest:
    return GenerationRequest(
        task=task,
        width=size[0],
        height=size[1],
        fps=FPS,
        seconds=SECONDS,
        seed=3,
        scratch_dir=tmp_path,
        prompt=PROMPT,
        params=parse_params(engine, {"model": str(folder), "steps": 2, **params}),
        inputs={"image": DATA / "fullbody_yoga_beach.jpg"} if task is Task.IMAGE_TO_VIDEO else {},
    )


def test_each_folder_is_recognised_with_its_own_task(folders: dict[Task, Path]) -> None:
    for task, folder in folders.items():
        spec = find_model(str(folder))
        assert (spec.family, set(spec.pipelines)) == ("hunyuan15", {task})


@pytest.mark.parametrize(
    ("task", "size"), [(Task.TEXT_TO_VIDEO, (64, 32)), (Task.IMAGE_TO_VIDEO, (32, 32))]
)
def test_a_hunyuan_folder_makes_an_h264_mp4_of_the_frames_asked(
    folders: dict[Task, Path],
    engine: DiffusersEngine,
    tmp_path: Path,
    task: Task,
    size: tuple[int, int],
) -> None:
    video = engine.run(hunyuan_request(engine, tmp_path, folders[task], task, size), Progress())
    assert (video.frame_count, video.width, video.height, video.fps) == (12, *size, FPS)
    encoded = encode_h264(
        video.frames, tmp_path / "out.mp4", fps=video.fps, width=video.width, height=video.height
    )
    info = probe_video(encoded.path)
    assert (info.codec, info.frame_count, info.width, info.height) == ("h264", 12, *size)


def test_image_to_video_refuses_a_size_the_model_does_not_make(
    folders: dict[Task, Path], engine: DiffusersEngine, tmp_path: Path
) -> None:
    # 48x32 is on the 16-pixel grid, but the tiny model's buckets for 3:2 are 32x32-sized.
    req = hunyuan_request(
        engine, tmp_path, folders[Task.IMAGE_TO_VIDEO], Task.IMAGE_TO_VIDEO, (48, 32)
    )
    with pytest.raises(ValidationError, match=r"makes \d+x\d+ for that aspect ratio, not 48x32"):
        engine.run(req, Progress())


class GuiderProbe(Progress):
    """Records the guidance scale the loaded pipeline's guider has while it denoises."""

    def __init__(self, engine: DiffusersEngine, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.engine = engine
        self.scales: list[float] = []

    def pipeline(self) -> Any:
        return self.engine.cache.get(self.engine.cache.keys()[0], None, None)

    def __call__(self, fraction: float, stage: str) -> None:
        if stage == "denoising" and fraction > 0.05:
            self.scales.append(self.pipeline().guider.guidance_scale)
        super().__call__(fraction, stage)


@pytest.mark.parametrize(("guidance", "passes_per_step"), [(2.5, 2), (1.0, 1)])
def test_the_request_guidance_is_on_the_guider_for_that_call_and_progress_follows_each_pass(
    folders: dict[Task, Path],
    engine: DiffusersEngine,
    tmp_path: Path,
    guidance: float,
    passes_per_step: int,
) -> None:
    folder = folders[Task.TEXT_TO_VIDEO]
    probe = GuiderProbe(engine)
    engine.run(
        hunyuan_request(engine, tmp_path, folder, Task.TEXT_TO_VIDEO, guidance=guidance, steps=3),
        probe,
    )
    # One report per transformer pass (CFG makes two a step; guidance 1 turns CFG off).
    assert probe.scales == [guidance] * (3 * passes_per_step)
    denoising = [fraction for fraction, stage in probe.calls if stage == "denoising"]
    assert denoising == sorted(denoising) and denoising[-1] == pytest.approx(0.9)
    assert probe.stages[-1] == "decoding"
    # The loaded pipeline keeps the guider it was saved with (the released scale, 6).
    assert probe.pipeline().guider.guidance_scale == 6.0


def test_a_cancel_stops_between_passes_and_leaves_the_pipeline_as_loaded(
    folders: dict[Task, Path], engine: DiffusersEngine, tmp_path: Path
) -> None:
    folder = folders[Task.TEXT_TO_VIDEO]
    probe = GuiderProbe(engine, fail_at_step=1)  # "loaded", then the first pass
    with pytest.raises(JobCancelledError):
        engine.run(hunyuan_request(engine, tmp_path, folder, Task.TEXT_TO_VIDEO, steps=6), probe)
    assert probe.stages.count("denoising") == 2 and "decoding" not in probe.stages
    pipeline = probe.pipeline()
    assert pipeline.guider.guidance_scale == 6.0
    assert not pipeline.transformer._forward_hooks
    video = engine.run(hunyuan_request(engine, tmp_path, folder, Task.TEXT_TO_VIDEO), Progress())
    assert len(list(video.frames)) == 12


def test_taylorseer_is_hooked_while_it_denoises_and_block_caches_are_refused(
    folders: dict[Task, Path], engine: DiffusersEngine, tmp_path: Path
) -> None:
    folder = folders[Task.TEXT_TO_VIDEO]
    with pytest.raises(ValidationError, match=r"\(hunyuan15\).*choose one of: none, taylorseer$"):
        engine.run(
            hunyuan_request(engine, tmp_path, folder, Task.TEXT_TO_VIDEO, cache="first_block"),
            Progress(),
        )
    probe = HookProbe(engine)
    video = engine.run(
        hunyuan_request(engine, tmp_path, folder, Task.TEXT_TO_VIDEO, cache="taylorseer"), probe
    )
    assert len(list(video.frames)) == video.frame_count
    during = [seen for seen in probe.seen if seen[0] is not None]
    assert during and all(
        name == "TaylorSeerCacheConfig" and "taylorseer_cache" in hooks for name, hooks in during
    ), probe.seen
