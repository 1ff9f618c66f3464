"""Replicate predictions and ComfyUI (HTTP + websocket) against local fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from reelvault.engines.remote import RemoteConfig, RemoteEngine
from reelvault.errors import EngineError, JobCancelledError
from reelvault.types import Task
from tests.unit.engines.remote.conftest import Progress, consume, remote_config, request_for
from tests.unit.engines.remote.fakes import FakeComfy, FakeReplicate, reply_json


def test_replicate_prediction_with_files_api_and_cleanup(
    tmp_path: Path, replicate: FakeReplicate
) -> None:
    # A tiny data-URI limit: the image goes through the Files API and is deleted after.
    config = remote_config(tmp_path, replicate=replicate, replicate_max_data_uri_bytes=1024)
    engine = RemoteEngine(None, config=config)
    progress = Progress()
    request = request_for(
        engine,
        tmp_path / "job",
        model="replicate:wan-video/wan-2.2-i2v-fast",
        task=Task.IMAGE_TO_VIDEO,
        input={"num_frames": 81},
    )
    assert consume(engine.run(request, progress)) == 120
    create = replicate.requests_to("/v1/models/wan-video/wan-2.2-i2v-fast/predictions", "POST")[0]
    assert create.headers["authorization"] == "Bearer test-token"
    assert create.headers["cancel-after"].endswith("s")
    sent = replicate.created[0]["input"]
    assert sent["prompt"] == "a fox running through snow" and sent["num_frames"] == 81
    assert sent["image"].startswith(f"{replicate.url}/v1/files/")
    assert replicate.deleted and not replicate.files
    assert any(stage == "generating at Replicate" for _, stage in progress.reports)


def test_replicate_version_failure_and_cancel(tmp_path: Path, replicate: FakeReplicate) -> None:
    engine = RemoteEngine(None, config=remote_config(tmp_path, replicate=replicate))
    model = "replicate:owner/model:" + "a" * 64
    replicate.behaviour.statuses = ["starting", "failed"]
    with pytest.raises(EngineError, match="could not generate the video") as caught:
        engine.run(request_for(engine, tmp_path / "a", model=model), Progress())
    assert "CUDA" not in str(caught.value)
    assert replicate.created[0]["version"] == "a" * 64
    replicate.behaviour.statuses = ["processing"]
    with pytest.raises(JobCancelledError):
        engine.run(request_for(engine, tmp_path / "b", model=model), Progress(cancel_after=4))
    assert len(replicate.cancelled) == 1


def test_replicate_errors(tmp_path: Path, replicate: FakeReplicate) -> None:
    engine = RemoteEngine(None, config=remote_config(tmp_path, replicate=replicate))
    replicate.behaviour.create_errors = [
        reply_json(429, {"detail": "throttled"}, {"Retry-After": "0"}),
        reply_json(503, {"detail": "down"}),
    ]
    with pytest.raises(EngineError, match="server error \\(HTTP 503\\)"):
        engine.run(request_for(engine, tmp_path / "a", model="replicate:o/m"), Progress())
    replicate.behaviour.output = {"text": "no url here"}
    with pytest.raises(EngineError, match="no output URL"):
        engine.run(request_for(engine, tmp_path / "b", model="replicate:o/m"), Progress())


def test_comfyui_workflow_progress_over_websocket(tmp_path: Path, comfy: FakeComfy) -> None:
    engine = RemoteEngine(None, config=remote_config(tmp_path, comfy=comfy))
    progress = Progress()
    request = request_for(
        engine,
        tmp_path / "job",
        model="comfyui",
        task=Task.IMAGE_TO_VIDEO,
        negative_prompt="blurry",
    )
    assert consume(engine.run(request, progress)) == 120
    sent = comfy.prompts[0]
    workflow = sent["prompt"]
    assert workflow["6"]["inputs"]["text"] == "a fox running through snow"
    assert workflow["7"]["inputs"]["text"] == "blurry"
    assert workflow["3"]["inputs"]["seed"] == 7
    assert (workflow["5"]["inputs"]["width"], workflow["5"]["inputs"]["length"]) == (640, 48)
    assert workflow["10"]["inputs"]["image"] == comfy.uploads[0]
    assert comfy.uploads[0].startswith("reelvault-")  # a random name, not the user's
    fractions = [
        fraction for fraction, stage in progress.reports if stage == "generating at ComfyUI"
    ]
    assert len(fractions) >= 4  # one per websocket "progress" event
    assert comfy.history_deleted == [next(iter(comfy.history))]


def test_comfyui_failures_and_interrupt(tmp_path: Path, comfy: FakeComfy) -> None:
    engine = RemoteEngine(None, config=remote_config(tmp_path, comfy=comfy))
    comfy.behaviour.fail = True
    with pytest.raises(
        EngineError, match=r"failed in node KSampler \(torch.OutOfMemoryError\)"
    ) as caught:
        engine.run(request_for(engine, tmp_path / "a", model="comfyui"), Progress())
    assert "prompt text" not in str(caught.value)
    comfy.behaviour.fail = False
    comfy.behaviour.refuse = True
    with pytest.raises(
        EngineError, match="refused the workflow: node 6: value_not_valid text"
    ) as caught:
        engine.run(request_for(engine, tmp_path / "b", model="comfyui"), Progress())
    assert "secret" not in str(caught.value)
    comfy.behaviour.refuse = False
    comfy.behaviour.steps, comfy.behaviour.step_seconds = 200, 0.05
    with pytest.raises(JobCancelledError):
        engine.run(request_for(engine, tmp_path / "c", model="comfyui"), Progress(cancel_after=6))
    assert len(comfy.interrupted) == 1  # POST /interrupt named our running prompt


def test_comfyui_mapping_errors(tmp_path: Path, comfy: FakeComfy) -> None:
    engine = RemoteEngine(
        None, config=remote_config(tmp_path, comfy=comfy, comfyui_mapping={"seed": "3.seed"})
    )
    with pytest.raises(EngineError, match="comfyui_mapping needs prompt"):
        engine.run(request_for(engine, tmp_path / "a", model="comfyui"), Progress())
    engine = RemoteEngine(
        None, config=remote_config(tmp_path, comfy=comfy, comfyui_mapping={"prompt": "99.text"})
    )
    with pytest.raises(EngineError, match="names no node input"):
        engine.run(request_for(engine, tmp_path / "b", model="comfyui"), Progress())
    assert not comfy.prompts


def test_model_ids_and_unconfigured_providers(tmp_path: Path) -> None:
    engine = RemoteEngine(None, config=remote_config(tmp_path))
    assert engine.hosts_model("fal-ai/kling-video/v2/master/text-to-video")
    assert engine.hosts_model("replicate:owner/model")
    assert engine.hosts_model("comfyui")
    assert not engine.hosts_model("wan2.1-t2v-1.3b")
    assert not engine.hosts_model("replicate:not a model")
    with pytest.raises(EngineError, match="not configured"):
        engine.run(request_for(engine, tmp_path / "job", model="fal-ai/x/y"), Progress())
    keyed = RemoteConfig(fal_key=SecretStr("sk-live-123"), replicate_api_token=SecretStr("r8_x"))
    assert "sk-live-123" not in repr(keyed) and "r8_x" not in repr(keyed)
