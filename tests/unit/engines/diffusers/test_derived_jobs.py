"""Remix, edit and extension of diffusers videos through the real API, queue and encoder.

Tiny randomly initialised pipelines (the builders of tiny_models.py, saved with
save_pretrained) are listed in the user catalogue and run through the path users take:
``POST /api/v1/jobs`` with ``model=``, then ``/remix``, ``/edit``, ``/extend`` and their
OpenAI-compatible twins, a thread worker, the runner and the H.264 encoder.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.config import Settings
from reelvault.engines.diffusers import DiffusersEngine, ltx, skyreels, wan, wan_vace
from reelvault.engines.diffusers import output as output_module
from reelvault.engines.diffusers.call import PipelineCall, PreparedCall
from reelvault.engines.diffusers.derived import seam_fade
from reelvault.engines.registry import load_registry
from reelvault.runtime import Runtime
from reelvault.testing import settings_for
from tests.unit.api.conftest import wait_for
from tests.unit.engines.diffusers.tiny_models import (
    build_ltx,
    build_skyreels_df,
    build_wan,
    build_wan_vace,
)

SOURCE_PROMPT = "a Vermilion Okapi crossing a river"
COMMON = {"steps": 2, "guidance": 3.0, "dtype": "float32", "vram_gb": 0.1, "licence": "test-only"}
ENTRIES: dict[str, dict[str, Any]] = {
    "tiny-wan": {
        "family": "wan",
        "pipelines": {"text_to_video": "WanPipeline"},
        "video_pipelines": {"remix": "WanVideoToVideoPipeline"},
    },
    "tiny-vace": {
        "family": "wan_vace",
        "pipelines": {"text_to_video": "WanVACEPipeline"},
        "video_pipelines": {"edit": "WanVACEPipeline"},
    },
    "tiny-skyreels": {
        "family": "skyreels",
        "pipelines": {"text_to_video": "SkyReelsV2DiffusionForcingPipeline"},
        "video_pipelines": {"extension": "SkyReelsV2DiffusionForcingVideoToVideoPipeline"},
    },
    # No video pipeline: it extends by image→video from the source's last frame.
    "tiny-ltx": {
        "family": "ltx",
        "pipelines": {"text_to_video": "LTXPipeline", "image_to_video": "LTXImageToVideoPipeline"},
    },
}
# 5 frames at 8 fps: one latent frame after the first, 32x32 pixels (4x4 latents).
SOURCE = {"prompt": SOURCE_PROMPT, "size": "32x32", "fps": 8, "seconds": 0.625, "seed": 3}


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-derived")
    return {
        "tiny-wan": build_wan(root / "wan"),
        "tiny-vace": build_wan_vace(root / "vace"),
        "tiny-skyreels": build_skyreels_df(root / "skyreels"),
        "tiny-ltx": build_ltx(root / "ltx"),
    }


def write_catalogue(
    settings: Settings,
    folders: dict[str, Path],
    only: tuple[str, ...] = tuple(ENTRIES),
    **overrides: Any,
) -> None:
    """The tiny models in the user catalogue, with their video pipelines."""
    models = [
        {
            "id": model_id,
            "path": str(folders[model_id]),
            "sizes": ["32x32"],
            "default_size": "32x32",
            "max_frames": 33,
            "default_frames": 5,
            "fps": [8],
            **COMMON,
            **entry,
            **overrides,
        }
        for model_id, entry in ENTRIES.items()
        if model_id in only
    ]
    settings.resolved_models_dir.mkdir(parents=True, exist_ok=True)
    (settings.resolved_models_dir / "models.yaml").write_text(
        yaml.safe_dump({"models": models}), "utf-8"
    )


def runtime_with_diffusers(settings: Settings) -> Runtime:
    registry = load_registry(settings, include_entry_points=False)
    if "diffusers" not in registry.names():
        registry.register(DiffusersEngine)
    return open_runtime(settings, registry=registry)


@pytest.fixture
def api(tmp_path: Path, folders: dict[str, Path]) -> Iterator[TestClient]:
    # The standard policy keeps the source's prompt: the runner could hand it on.
    settings = settings_for(tmp_path, device="cpu", policy="standard")
    write_catalogue(settings, folders)
    runtime = runtime_with_diffusers(settings)
    with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as client:
        yield client
    runtime.close()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[PipelineCall]:
    """Every call the families prepare, in order."""
    seen: list[PipelineCall] = []
    for module in (wan, wan_vace, skyreels, ltx):
        original = module.prepare

        def spy(pipeline: Any, call: PipelineCall, original: Any = original) -> PreparedCall:
            seen.append(call)
            prepared: PreparedCall = original(pipeline, call)
            return prepared

        monkeypatch.setattr(module, "prepare", spy)
    return seen


def prompts(calls: list[PipelineCall]) -> list[tuple[str, str]]:
    return [(call.pipeline_class, call.prompt) for call in calls]


def _completed(api: TestClient, response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    job = wait_for(api, response.json()["id"])
    assert job["status"] == "completed", job.get("error")
    return job


def _frames(api: TestClient, job_id: str) -> tuple[str, list[np.ndarray]]:
    """(codec, RGB frames) of a job's video."""
    content = api.get(f"/api/v1/jobs/{job_id}/content")
    assert content.status_code == 200
    with av.open(io.BytesIO(content.content)) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        return codec, [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]


def _source(api: TestClient, model: str) -> str:
    job = _completed(api, api.post("/api/v1/jobs", json={**SOURCE, "model": model}))
    return str(job["id"])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_a_wan_remix_is_made_from_the_source_frames_with_the_new_prompt_only(
    api: TestClient, calls: list[PipelineCall]
) -> None:
    source = _source(api, "tiny-wan")
    response = api.post(
        f"/api/v1/jobs/{source}/remix", json={"prompt": "the same at night", "strength": 0.6}
    )
    remix = _completed(api, response)
    assert (remix["source_job_id"], remix["derivation"]) == (source, "remix")
    codec, frames = _frames(api, remix["id"])
    assert (codec, len(frames), frames[0].shape) == ("h264", 5, (32, 32, 3))
    assert prompts(calls) == [
        ("WanPipeline", SOURCE_PROMPT),
        ("WanVideoToVideoPipeline", "the same at night"),
    ]
    # the source's 5 frames, decoded from its video at the job's size, and the strength
    video = calls[-1].video
    assert video is not None and len(video) == 5 and video[0].size == (32, 32)
    assert calls[-1].strength == 0.6
    _, source_frames = _frames(api, source)
    assert psnr(np.asarray(video[0]), source_frames[0]) == float("inf")
    assert remix["params"]["strength"] == 0.6  # kept with the job, like its other parameters


def test_a_vace_edit_follows_the_instruction_in_the_source_length(
    api: TestClient, calls: list[PipelineCall]
) -> None:
    source = _source(api, "tiny-vace")
    response = api.post(
        "/v1/videos/edits", json={"video": {"id": source}, "prompt": "make it snowy"}
    )
    edit = _completed(api, response)
    codec, frames = _frames(api, edit["id"])
    assert (codec, len(frames)) == ("h264", 5)
    assert prompts(calls) == [
        ("WanVACEPipeline", SOURCE_PROMPT),
        ("WanVACEPipeline", "make it snowy"),
    ]
    assert calls[-1].video is not None and len(calls[-1].video) == 5


def test_a_skyreels_extension_starts_with_the_source_frames(
    api: TestClient, calls: list[PipelineCall]
) -> None:
    source = _source(api, "tiny-skyreels")
    response = api.post(
        f"/api/v1/jobs/{source}/extend", json={"prompt": "it walks on", "seconds": 0.5}
    )
    extension = _completed(api, response)
    _, before = _frames(api, source)
    codec, after = _frames(api, extension["id"])
    # 5 frames of the source, then 0.5 s at 8 fps: 4 new ones
    assert (codec, len(before), len(after)) == ("h264", 5, 9)
    assert extension["seconds"] == pytest.approx(1.125)
    # The source's own frames, re-encoded once, as the runner stitches every extension:
    # on these 32x32 frames of a random model's noise H.264 keeps 39.5-43.7 dB (measured).
    ratios = [psnr(a, b) for a, b in zip(before, after[:5], strict=True)]
    assert min(ratios) >= 38, ratios
    # ...and then new frames, not the source's again (the pipeline's output opens with
    # the history it was given: the engine keeps only what follows it).
    assert max(psnr(after[5 + i], before[i]) for i in range(4)) < 30
    assert prompts(calls)[-1] == (
        "SkyReelsV2DiffusionForcingVideoToVideoPipeline",
        "it walks on",
    )


def test_an_image_to_video_model_extends_from_the_source_last_frame(
    api: TestClient, calls: list[PipelineCall], monkeypatch: pytest.MonkeyPatch
) -> None:
    seams: list[tuple[np.ndarray, int]] = []

    def watched_fade(frames: Any, *, before: Any, remade: Any, count: int) -> Any:
        seams.append((before, count))
        return seam_fade(frames, before=before, remade=remade, count=count)

    monkeypatch.setattr(output_module, "seam_fade", watched_fade)
    source = _source(api, "tiny-ltx")
    assert api.get(f"/api/v1/jobs/{source}").json()["derivations"] == ["extension"]
    response = api.post(
        f"/api/v1/jobs/{source}/extend", json={"prompt": "it walks on", "seconds": 1}
    )
    extension = _completed(api, response)
    _, before = _frames(api, source)
    codec, after = _frames(api, extension["id"])
    # 5 frames of the source, then 1 s at 8 fps (the pipeline made 9: the picture again
    # first, dropped, and 8 new ones).
    assert (codec, len(before), len(after)) == ("h264", 5, 13)
    # The source's frames re-encoded once: 33.0-35.6 dB on this model's noise (measured;
    # the new frames are 17-21 dB from the source's last one).
    assert min(psnr(a, b) for a, b in zip(before, after[:5], strict=True)) >= 30
    assert max(psnr(frame, before[-1]) for frame in after[5:]) < 26
    made = calls[-1]
    assert (made.pipeline_class, made.prompt, made.num_frames) == (
        "LTXImageToVideoPipeline",
        "it walks on",
        9,
    )
    # It started from the source's last frame (decoded from the job's copy of the video),
    # and the new frames were faded from that frame over a quarter second (2 at 8 fps).
    assert psnr(np.asarray(made.image), before[-1]) >= 40
    assert len(seams) == 1 and seams[0][1] == 2
    assert psnr(seams[0][0], before[-1]) >= 40
    # A video-to-video remix or edit is still refused: only the extension is offered.
    refused = api.post(f"/api/v1/jobs/{source}/remix", json={"prompt": "at night"})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == (
        "model tiny-ltx cannot remix videos (it can extend them)"
    )


def test_a_model_without_the_video_pipeline_is_refused_naming_what_it_can_do(
    api: TestClient,
) -> None:
    source = _source(api, "tiny-wan")
    native = api.post(f"/api/v1/jobs/{source}/edit", json={"prompt": "make it snowy"})
    assert native.status_code == 400
    assert native.json()["error"]["message"] == (
        "model tiny-wan cannot edit videos (it can remix them)"
    )
    openai = api.post(
        "/v1/videos/extensions",
        json={"video": {"id": source}, "prompt": "on", "seconds": "1"},
    )
    assert openai.status_code == 400
    assert openai.json()["error"]["message"] == (
        "model tiny-wan cannot extend videos (it can remix them)"
    )
    out_of_range = api.post(f"/v1/videos/{source}/remix", json={"prompt": "x", "strength": 1.5})
    assert out_of_range.status_code in (400, 422)
    assert out_of_range.json()["error"]["param"] == "strength"


def test_a_completed_job_offers_only_what_its_own_model_can_make(api: TestClient) -> None:
    """The studio shows the remix, extend and edit buttons from this list: a model without
    a video pipeline for one must not offer it, though the diffusers engine can make all."""
    engine = next(e for e in api.get("/api/v1/engines").json()["data"] if e["name"] == "diffusers")
    assert engine["derivations"] == ["edit", "extension", "remix"]
    for model, offered in (("tiny-wan", ["remix"]), ("tiny-vace", ["edit"])):
        source = _source(api, model)
        assert api.get(f"/api/v1/jobs/{source}").json()["derivations"] == offered
        listed = {job["id"]: job for job in api.get("/api/v1/jobs").json()["data"]}
        assert listed[source]["derivations"] == offered


def test_strength_is_refused_by_an_engine_that_renders_the_scene_again(api: TestClient) -> None:
    made = api.post(
        "/api/v1/jobs",
        json={"engine": "procedural", "prompt": "a boat", "size": "96x64", "fps": 8, "seconds": 1},
    )
    source = _completed(api, made)["id"]
    response = api.post(f"/v1/videos/{source}/remix", json={"prompt": "at night", "strength": 0.5})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "strength"
    assert error["message"] == (
        "engine procedural remixes by rendering the source's scene again: strength applies "
        "only to video-to-video models"
    )


def test_an_extension_continues_the_size_the_model_snapped_to(api: TestClient) -> None:
    # Asked for 48x32, made at 32x32 (allow_resize): the extension is 32x32 throughout.
    made = api.post(
        "/api/v1/jobs",
        json={
            **SOURCE,
            "size": "48x32",
            "model": "tiny-skyreels",
            "params": {"allow_resize": True},
        },
    )
    source = _completed(api, made)["id"]
    response = api.post(f"/api/v1/jobs/{source}/extend", json={"prompt": "on", "seconds": 0.5})
    extension = _completed(api, response)
    assert extension["size"] == "32x32"
    _, frames = _frames(api, extension["id"])
    assert len(frames) == 9 and frames[0].shape == (32, 32, 3)
