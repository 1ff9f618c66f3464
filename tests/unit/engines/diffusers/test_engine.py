"""The diffusers engine, end to end on tiny random pipelines (same path as real models)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine, DiffusersParams
from reelvault.errors import EngineError, JobCancelledError, ValidationError
from reelvault.media.encode import encode_h264
from reelvault.media.probe import probe_video
from reelvault.types import Task

DATA = Path(__file__).resolve().parents[3] / "data"
PROMPT = "a red fox running through snow"


class Progress:
    """Records what the engine reports; can fail at the n-th denoising step like a job would."""

    def __init__(self, fail_at_step: int | None = None, error: BaseException | None = None) -> None:
        self.calls: list[tuple[float, str]] = []
        self.fail_at_step = fail_at_step
        self.error = error or JobCancelledError("the job was cancelled")

    def __call__(self, fraction: float, stage: str) -> None:
        self.calls.append((fraction, stage))
        if self.fail_at_step is not None and self.stages.count("denoising") > self.fail_at_step:
            raise self.error

    @property
    def stages(self) -> list[str]:
        return [stage for _, stage in self.calls]


def request(
    engine: DiffusersEngine,
    tmp_path: Path,
    *,
    model: str,
    task: Task = Task.TEXT_TO_VIDEO,
    size: tuple[int, int] = (32, 32),
    fps: int = 8,
    seconds: float = 1.0,
    seed: int = 7,
    inputs: dict[str, Path] | None = None,
    **params: Any,
) -> GenerationRequest:
    return GenerationRequest(
        task=task,
        width=size[0],
        height=size[1],
        fps=fps,
        seconds=seconds,
        seed=seed,
        scratch_dir=tmp_path,
        prompt=PROMPT,
        params=parse_params(engine, {"model": model, "steps": 2, **params}),
        inputs=inputs or {},
    )


def render(
    engine: DiffusersEngine, req: GenerationRequest, progress: Progress | None = None
) -> list[np.ndarray]:
    video = engine.run(req, progress or Progress())
    frames = list(video.frames)
    assert len(frames) == video.frame_count
    return frames


@pytest.mark.parametrize("model", ["tiny-wan", "tiny-ltx", "tiny-cogvideox", "tiny-sana"])
def test_text_to_video_gives_the_frames_asked_for_and_encodes(
    shared_engine: DiffusersEngine, tmp_path: Path, model: str
) -> None:
    progress = Progress()
    video = shared_engine.run(request(shared_engine, tmp_path, model=model, seconds=0.75), progress)
    assert (video.frame_count, video.width, video.height, video.fps) == (6, 32, 32, 8)
    encoded = encode_h264(
        video.frames, tmp_path / "out.mp4", fps=video.fps, width=video.width, height=video.height
    )
    info = probe_video(encoded.path)
    assert (info.frame_count, info.width, info.height) == (6, 32, 32)
    # Progress: loading, each denoising step, then decoding, never going backwards.
    assert progress.stages[0] == "loading model"
    assert progress.stages.count("denoising") == 3  # after loading + 2 steps
    assert progress.stages[-1] == "decoding"
    fractions = [fraction for fraction, _ in progress.calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize("model", ["tiny-ltx", "tiny-sana"])
def test_image_to_video_starts_from_the_image(
    shared_engine: DiffusersEngine, tmp_path: Path, model: str
) -> None:
    image = DATA / "fullbody_yoga_beach.jpg"
    req = request(
        shared_engine,
        tmp_path,
        model=model,
        task=Task.IMAGE_TO_VIDEO,
        size=(64, 32),
        inputs={"image": image},
    )
    frames = render(shared_engine, req)
    assert len(frames) == 8 and frames[0].shape == (32, 64, 3) and frames[0].dtype == np.uint8


def test_image_to_video_without_an_image_is_refused(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    req = request(shared_engine, tmp_path, model="tiny-ltx", task=Task.IMAGE_TO_VIDEO)
    with pytest.raises(ValidationError, match="needs an image"):
        shared_engine.run(req, Progress())


def test_a_model_without_the_task_says_what_it_does(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    req = request(
        shared_engine,
        tmp_path,
        model="tiny-cogvideox",
        task=Task.IMAGE_TO_VIDEO,
        inputs={"image": DATA / "fullbody_yoga_beach.jpg"},
    )
    with pytest.raises(ValidationError, match=r"does not do image_to_video.*text_to_video"):
        shared_engine.run(req, Progress())


def test_same_seed_same_video_other_seed_other_video(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    first = render(shared_engine, request(shared_engine, tmp_path, model="tiny-wan", seed=11))
    again = render(shared_engine, request(shared_engine, tmp_path, model="tiny-wan", seed=11))
    other = render(shared_engine, request(shared_engine, tmp_path, model="tiny-wan", seed=12))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_a_local_folder_path_runs_without_a_catalogue_entry(
    tiny_folders: dict[str, Path], shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    folder = str(tiny_folders["tiny-wan"])
    req = request(shared_engine, tmp_path, model=folder, size=(48, 32), fps=16, seconds=0.5)
    assert len(render(shared_engine, req)) == 8
    bad = request(shared_engine, tmp_path, model=folder, size=(40, 32), fps=16, seconds=0.5)
    with pytest.raises(ValidationError, match="multiples of 16"):
        shared_engine.run(bad, Progress())


def test_unsupported_size_lists_the_valid_sizes(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    req = request(shared_engine, tmp_path, model="tiny-wan", size=(64, 48))
    with pytest.raises(ValidationError, match="supported sizes: 32x32, 48x32") as caught:
        shared_engine.run(req, Progress())
    assert caught.value.param == "size"


def test_allow_resize_snaps_to_the_nearest_size_and_fps(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    req = request(
        shared_engine, tmp_path, model="tiny-wan", size=(96, 62), fps=10, allow_resize=True
    )
    video = shared_engine.run(req, Progress())
    assert (video.width, video.height, video.fps, video.frame_count) == (48, 32, 8, 8)
    assert len(list(video.frames)) == 8


def test_too_many_frames_is_refused_before_loading(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    progress = Progress()
    with pytest.raises(ValidationError, match="more than model tiny-wan makes"):
        shared_engine.run(request(shared_engine, tmp_path, model="tiny-wan", seconds=3), progress)
    assert progress.calls == []


def test_unknown_model_lists_the_known_ones(shared_engine: DiffusersEngine, tmp_path: Path) -> None:
    # Sana-Video is listed first: it is the model the README recommends trying first.
    known = r"known: sana-video-2b-480p, wan2.1-t2v-1.3b"
    with pytest.raises(ValidationError, match=rf"unknown model 'nope' \({known}"):
        shared_engine.run(request(shared_engine, tmp_path, model="nope"), Progress())


def test_a_catalogue_model_not_pulled_names_the_pull_command(
    tiny_settings: Any, tmp_path: Path
) -> None:
    engine = DiffusersEngine(tiny_settings)
    req = request(engine, tmp_path, model="wan2.1-t2v-1.3b", size=(832, 480), fps=16)
    with pytest.raises(EngineError, match=r"run `reelvault models pull wan2.1-t2v-1.3b`"):
        engine.run(req, Progress())


def test_params_without_a_model_are_refused(shared_engine: DiffusersEngine) -> None:
    with pytest.raises(ValidationError, match="model"):
        parse_params(shared_engine, {})
    with pytest.raises(ValidationError, match="offload"):
        parse_params(shared_engine, {"model": "tiny-wan", "offload": "sometimes"})
    assert isinstance(parse_params(shared_engine, {"model": "tiny-wan"}), DiffusersParams)


def test_cancellation_stops_between_steps_and_the_engine_carries_on(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    progress = Progress(fail_at_step=1)  # the callback after the first denoising step
    with pytest.raises(JobCancelledError):
        shared_engine.run(request(shared_engine, tmp_path, model="tiny-wan", steps=6), progress)
    assert progress.stages.count("denoising") == 2  # "loaded" + one step, then it stopped
    assert "decoding" not in progress.stages
    assert len(render(shared_engine, request(shared_engine, tmp_path, model="tiny-wan"))) == 8


def test_out_of_memory_fails_with_advice_and_the_engine_carries_on(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    # The error is raised from inside the pipeline's step callback, where a real OOM in the
    # denoising loop would surface: the engine sees it come out of the pipeline call.
    oom = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    progress = Progress(fail_at_step=1, error=oom)
    with pytest.raises(EngineError) as caught:
        shared_engine.run(request(shared_engine, tmp_path, model="tiny-ltx"), progress)
    message = caught.value.message
    assert "out of GPU memory" in message
    assert "smaller size" in message and "fewer seconds" in message and "offload=model" in message
    assert PROMPT not in message
    assert len(render(shared_engine, request(shared_engine, tmp_path, model="tiny-ltx"))) == 8


def test_a_runtime_error_saying_out_of_memory_is_treated_as_one(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    progress = Progress(fail_at_step=1, error=RuntimeError("MPS backend out of memory"))
    with pytest.raises(EngineError, match="out of GPU memory"):
        shared_engine.run(request(shared_engine, tmp_path, model="tiny-wan"), progress)


def test_other_pipeline_failures_name_only_the_error_type(
    shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    progress = Progress(fail_at_step=1, error=ValueError(f"bad tensor for {PROMPT}"))
    with pytest.raises(EngineError) as caught:
        shared_engine.run(request(shared_engine, tmp_path, model="tiny-wan"), progress)
    assert caught.value.message == "WanPipeline failed (ValueError)"
