"""Videos made from videos: Wan's remix, Wan VACE's edit and SkyReels-V2's extension.

The jobs themselves run through the API in test_derived_jobs.py; what is tested here is
the engine side they use: a saved folder names its video pipeline
(``video_pipelines``), that class loads from the folder through the engine's loader,
and the family module's arguments make the video the call asks for, with as many
step callbacks as the engine's progress counts. Wan VACE's text- and image-to-video
run through the engine as a catalogue entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import diffusers
import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine, loader, skyreels, wan, wan_vace
from reelvault.engines.diffusers.call import PipelineCall, PreparedCall
from reelvault.engines.diffusers.catalogue import VideoMode, spec_for_folder
from reelvault.engines.diffusers.device import MemoryPlan
from reelvault.engines.diffusers.loader import PipelineCache, PipelineKey, load_pipeline
from reelvault.testing import settings_for
from reelvault.types import Task
from tests.unit.engines.diffusers.test_engine import DATA, PROMPT, Progress
from tests.unit.engines.diffusers.tiny_models import build_skyreels_df, build_wan, build_wan_vace

FAMILY_MODULES: dict[str, Any] = {"wan": wan, "wan_vace": wan_vace, "skyreels": skyreels}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-video-pipelines")
    return {
        "wan": build_wan(root / "wan"),
        "wan_vace": build_wan_vace(root / "vace"),
        "skyreels": build_skyreels_df(root / "skyreels"),
    }


def source_video(count: int) -> list[Image.Image]:
    """A square moving left to right over a gradient: frames that differ from each other."""
    frames = []
    for index in range(count):
        array = np.tile(np.linspace(0, 255, 32, dtype=np.uint8)[None, :, None], (32, 1, 3))
        array[8:20, index : index + 12] = (220, 30, 30)
        frames.append(Image.fromarray(array))
    return frames


def run_video(
    folder: Path, mode: VideoMode, video: list[Image.Image], **call: Any
) -> tuple[np.ndarray, PreparedCall, int]:
    """(frames, the family's prepared call, the step callbacks the pipeline made)."""
    spec = spec_for_folder(folder)
    pipeline_class = spec.video_pipelines[mode]
    key = PipelineKey(
        folder=str(folder),
        pipeline_class=pipeline_class,
        device="cpu",
        dtype="float32",
        plan=MemoryPlan(mode="none", vae_tiling=False),
    )
    pipeline = load_pipeline(diffusers, torch, key)
    calls: list[int] = []

    def on_step_end(
        _pipeline: Any, step: int, _timestep: Any, tensors: dict[str, Any]
    ) -> dict[str, Any]:
        calls.append(step)
        return tensors

    prepared = FAMILY_MODULES[spec.family].prepare(
        pipeline,
        PipelineCall(
            pipeline_class=pipeline_class,
            prompt=PROMPT,
            negative_prompt="",
            width=32,
            height=32,
            steps=call.pop("steps", 5),
            guidance=5.0,
            generator=torch.Generator().manual_seed(1),
            on_step_end=on_step_end,
            video=video,
            **{"num_frames": len(video), "fps": 16, **call},
        ),
    )
    frames = np.asarray(pipeline(**prepared.arguments).frames)[0]
    return frames, prepared, len(calls)


def test_a_wan_folder_remixes_a_video_in_its_length_with_the_steps_it_counts(
    folders: dict[str, Path],
) -> None:
    frames, prepared, callbacks = run_video(folders["wan"], "remix", source_video(9), steps=5)
    assert frames.shape == (9, 32, 32, 3)
    # strength 0.8 of 5 steps: the pipeline runs the last 4, and progress counts 4.
    assert prepared.arguments["strength"] == wan.REMIX_STRENGTH
    assert callbacks == prepared.step_calls == 4


def test_a_vace_folder_edits_a_video_in_its_length(folders: dict[str, Path]) -> None:
    frames, prepared, callbacks = run_video(folders["wan_vace"], "edit", source_video(9))
    assert frames.shape == (9, 32, 32, 3)
    assert "mask" not in prepared.arguments  # regenerated everywhere, the source as control
    assert callbacks == prepared.step_calls == 5


def test_a_skyreels_folder_extends_a_video_after_its_own_frames(
    folders: dict[str, Path],
) -> None:
    source = source_video(17)
    frames, prepared, callbacks = run_video(
        folders["skyreels"], "extension", source, num_frames=33, fps=24, steps=2
    )
    # The source's 17 frames as they were, then the 33 new ones.
    assert frames.shape == (17 + 33, 32, 32, 3)
    kept = np.stack([np.asarray(frame, dtype=np.float32) / 255.0 for frame in source])
    assert np.abs(frames[:17] - kept).max() < 0.01
    assert prepared.arguments["overlap_history"] == skyreels.OVERLAP_FRAMES
    assert callbacks == prepared.step_calls == 2


@pytest.mark.parametrize("task", [Task.TEXT_TO_VIDEO, Task.IMAGE_TO_VIDEO])
def test_vace_makes_text_and_image_to_video_as_a_catalogue_entry(
    folders: dict[str, Path], tmp_path: Path, task: Task
) -> None:
    settings = settings_for(tmp_path, device="cpu")
    settings.resolved_models_dir.mkdir(parents=True)
    entry = {
        "id": "tiny-vace",
        "family": "wan_vace",
        "pipelines": {"text_to_video": "WanVACEPipeline", "image_to_video": "WanVACEPipeline"},
        "video_pipelines": {"edit": "WanVACEPipeline"},
        "path": str(folders["wan_vace"]),
        "sizes": ["32x32"],
        "default_size": "32x32",
        "max_frames": 17,
        "default_frames": 9,
        "fps": [8],
        "steps": 2,
        "guidance": 5.0,
        "dtype": "float32",
        "vram_gb": 0.1,
        "licence": "test-only",
    }
    (settings.resolved_models_dir / "models.yaml").write_text(
        yaml.safe_dump({"models": [entry]}), "utf-8"
    )
    engine = DiffusersEngine(settings)
    video = engine.run(
        GenerationRequest(
            task=task,
            width=32,
            height=32,
            fps=8,
            seconds=1.0,
            seed=2,
            scratch_dir=tmp_path,
            prompt=PROMPT,
            params=parse_params(engine, {"model": "tiny-vace"}),
            inputs={"image": DATA / "fullbody_yoga_beach.jpg"}
            if task is Task.IMAGE_TO_VIDEO
            else {},
        ),
        Progress(),
    )
    assert (video.frame_count, video.width, video.height) == (8, 32, 32)
    assert len(list(video.frames)) == 8


def test_a_sibling_class_takes_the_loaded_weights_without_loading_them_again(
    folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker that made a Wan video and then remixes one: WanVideoToVideoPipeline gets
    # the loaded components (diffusers' from_pipe), in their dtype, and back again.
    loads: list[str] = []
    real_load = loader.load_pipeline

    def counting(diffusers_module: Any, torch_module: Any, key: PipelineKey) -> Any:
        loads.append(key.pipeline_class)
        return real_load(diffusers_module, torch_module, key)

    monkeypatch.setattr(loader, "load_pipeline", counting)
    cache = PipelineCache(1)
    placed = {
        "folder": str(folders["wan"]),
        "device": "cpu",
        "dtype": "bfloat16",
        "plan": MemoryPlan(mode="none", vae_tiling=False),
    }
    t2v = cache.get(PipelineKey(pipeline_class="WanPipeline", **placed), diffusers, torch)
    v2v = cache.get(
        PipelineKey(pipeline_class="WanVideoToVideoPipeline", **placed), diffusers, torch
    )
    assert isinstance(v2v, diffusers.WanVideoToVideoPipeline)
    assert v2v.transformer is t2v.transformer and v2v.vae is t2v.vae
    assert v2v.transformer.dtype == torch.bfloat16  # not cast to from_pipe's float32
    again = cache.get(PipelineKey(pipeline_class="WanPipeline", **placed), diffusers, torch)
    assert again.transformer is t2v.transformer
    assert loads == ["WanPipeline"] and len(cache) == 1
