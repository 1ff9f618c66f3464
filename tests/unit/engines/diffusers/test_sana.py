"""Sana-Video from a folder a user points at: both tasks, to an H.264 MP4 of the frames asked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine
from reelvault.errors import ValidationError
from reelvault.media.encode import encode_h264
from reelvault.media.probe import probe_video
from reelvault.types import Task
from tests.unit.engines.diffusers.test_engine import DATA, PROMPT, Progress


def sana_request(
    engine: DiffusersEngine, tmp_path: Path, folder: Path, task: Task, size: tuple[int, int]
) -> GenerationRequest:
    return GenerationRequest(
        task=task,
        width=size[0],
        height=size[1],
        fps=16,
        seconds=0.5,
        seed=3,
        scratch_dir=tmp_path,
        prompt=PROMPT,
        params=parse_params(engine, {"model": str(folder), "steps": 2}),
        inputs={"image": DATA / "fullbody_yoga_beach.jpg"} if task is Task.IMAGE_TO_VIDEO else {},
    )


@pytest.mark.parametrize(
    ("task", "size"), [(Task.TEXT_TO_VIDEO, (64, 32)), (Task.IMAGE_TO_VIDEO, (32, 64))]
)
def test_a_sana_folder_makes_an_h264_mp4_for_each_task(
    tiny_folders: dict[str, Path],
    shared_engine: DiffusersEngine,
    tmp_path: Path,
    task: Task,
    size: tuple[int, int],
) -> None:
    # The folder was saved as a SanaVideoPipeline: image-to-video loads its sibling class.
    req = sana_request(shared_engine, tmp_path, tiny_folders["tiny-sana"], task, size)
    video = shared_engine.run(req, Progress())
    assert (video.frame_count, video.width, video.height, video.fps) == (8, *size, 16)
    encoded = encode_h264(
        video.frames, tmp_path / "out.mp4", fps=video.fps, width=video.width, height=video.height
    )
    info = probe_video(encoded.path)
    assert (info.codec, info.frame_count, info.width, info.height) == ("h264", 8, *size)


def test_a_sana_size_off_the_32_grid_is_refused(
    tiny_folders: dict[str, Path], shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    # 48 is a multiple of the VAE's 16 but the pipeline itself needs multiples of 32.
    req = sana_request(
        shared_engine, tmp_path, tiny_folders["tiny-sana"], Task.TEXT_TO_VIDEO, (48, 32)
    )
    with pytest.raises(ValidationError, match="multiples of 32"):
        shared_engine.run(req, Progress())


def test_sana_takes_no_step_cache(
    tiny_folders: dict[str, Path], shared_engine: DiffusersEngine, tmp_path: Path
) -> None:
    # Sana-Video's transformer has no enable_cache in diffusers 0.42: every cache is
    # refused before loading, naming the model and what it takes.
    req = sana_request(
        shared_engine, tmp_path, tiny_folders["tiny-sana"], Task.TEXT_TO_VIDEO, (64, 32)
    )
    cached = replace(
        req,
        params=parse_params(
            shared_engine, {"model": str(tiny_folders["tiny-sana"]), "cache": "taylorseer"}
        ),
    )
    with pytest.raises(
        ValidationError, match=r"\(sana\) does not support cache taylorseer; choose one of: none$"
    ):
        shared_engine.run(cached, Progress())
