"""Clients name models by id, never by a path on the server.

Issue 15, finding 5: ``{"engine": "diffusers", "params": {"model": "/some/path"}}`` was
accepted over HTTP and the job's error said whether ``model_index.json`` existed there
and which pipeline class it named. Folder paths stay for the CLI and operator settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelvault.engines.model_refs import names_a_server_path
from reelvault.jobs.error_text import without_server_paths
from reelvault.runtime import Runtime
from tests.unit.api.conftest import make_client, wait_for

TEXT_JOB = {"prompt": "a lantern in the fog", "size": "64x64", "seconds": 1}
PATH_FORMS = ["{folder}", "~/models/x", "~root/x", "../../etc", "wan/../../x", "C:\\weights"]


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    """A server folder holding a runnable pipeline, and one that does not exist."""
    real = tmp_path / "secret-weights"
    real.mkdir()
    (real / "model_index.json").write_text(json.dumps({"_class_name": "WanPipeline"}))
    return {"existing": real, "missing": tmp_path / "no-such-folder"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    api, runtime = make_client(tmp_path / "server")
    with api:
        yield api, runtime
    runtime.close()


def _refused(response: Any, folder: Path) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["param"] == "model"
    assert error["code"] == "model_path_not_allowed"
    assert str(folder) not in response.text
    return error


@pytest.mark.parametrize("form", PATH_FORMS)
def test_native_params_model_may_not_be_a_path(
    client: tuple[TestClient, Runtime], folders: dict[str, Path], form: str
) -> None:
    api, _ = client
    model = form.format(folder=folders["existing"])
    body = {**TEXT_JOB, "engine": "diffusers", "params": {"model": model}}
    _refused(api.post("/api/v1/jobs", json=body), folders["existing"])
    assert api.get("/api/v1/jobs").json()["data"] == []  # nothing was stored


def test_an_existing_and_a_missing_folder_get_the_same_answer(
    client: tuple[TestClient, Runtime], folders: dict[str, Path]
) -> None:
    api, _ = client
    answers = []
    for name in ("existing", "missing"):
        body = {**TEXT_JOB, "engine": "diffusers", "params": {"model": str(folders[name])}}
        answers.append(_refused(api.post("/api/v1/jobs", json=body), folders[name]))
    assert answers[0] == answers[1]


def test_native_top_level_model_may_not_be_a_path(
    client: tuple[TestClient, Runtime], folders: dict[str, Path]
) -> None:
    api, _ = client
    body = {**TEXT_JOB, "model": str(folders["existing"])}
    _refused(api.post("/api/v1/jobs", json=body), folders["existing"])


def test_multipart_params_model_may_not_be_a_path(
    client: tuple[TestClient, Runtime], folders: dict[str, Path]
) -> None:
    api, _ = client
    fields = {
        **{key: (None, str(value)) for key, value in TEXT_JOB.items()},
        "engine": (None, "diffusers"),
        "params": (None, json.dumps({"model": str(folders["existing"])})),
    }
    _refused(api.post("/api/v1/jobs", files=fields), folders["existing"])


def test_openai_model_may_not_be_a_path(
    client: tuple[TestClient, Runtime], folders: dict[str, Path]
) -> None:
    api, _ = client
    body = {"prompt": "a lantern", "model": str(folders["existing"]), "size": "64x64"}
    response = api.post("/v1/videos", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == ("model", "model_path_not_allowed")
    assert api.get("/v1/videos").json()["data"] == []


def test_catalogue_ids_are_still_accepted_and_fail_without_paths(
    client: tuple[TestClient, Runtime],
) -> None:
    """A catalogue id not installed here: accepted, and its failure names no folder."""
    api, runtime = client
    body = {**TEXT_JOB, "engine": "diffusers", "params": {"model": "wan2.1-t2v-1.3b"}}
    response = api.post("/api/v1/jobs", json={**body, "size": "832x480", "fps": 16})
    assert response.status_code == 201, response.text
    job = wait_for(api, response.json()["id"])
    assert job["status"] == "failed"
    message = job["error"]["message"]
    assert "not installed" in message
    assert str(runtime.settings.data_dir) not in message


def test_an_operator_catalogue_folder_is_usable_by_id_and_never_shown(
    tmp_path: Path,
) -> None:
    """The operator's models.yaml may name a folder; a client uses its id, and when the
    folder holds no pipeline the job's error does not say where it is."""
    weights = tmp_path / "operator-weights"
    weights.mkdir()
    api, runtime = make_client(tmp_path / "server")
    models_dir = runtime.settings.resolved_models_dir
    models_dir.mkdir(parents=True, exist_ok=True)
    entry = {
        "id": "house-wan",
        "family": "wan",
        "pipelines": {"text_to_video": "WanPipeline"},
        "path": str(weights),
        "sizes": ["832x480"],
        "default_size": "832x480",
        "max_frames": 81,
        "default_frames": 81,
        "fps": [16],
        "steps": 50,
        "guidance": 5.0,
        "vram_gb": 12,
    }
    (models_dir / "models.yaml").write_text(json.dumps({"models": [entry]}))
    with api:
        body = {**TEXT_JOB, "model": "house-wan", "size": "832x480", "fps": 16}
        response = api.post("/api/v1/jobs", json=body)
        assert response.status_code == 201, response.text
        job = wait_for(api, response.json()["id"])
    runtime.close()
    assert job["status"] == "failed"
    message = job["error"]["message"]
    assert "holds no diffusers pipeline" in message
    assert str(weights) not in message and "operator-weights" not in message


@pytest.mark.parametrize(
    "model",
    [
        "wan2.1-t2v-1.3b",
        "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
        "reelvault-procedural",
        "fal-ai/kling-video/v2/master/text-to-video",
        "replicate:owner/name",
        "comfyui",
    ],
)
def test_ids_are_not_paths(model: str) -> None:
    assert not names_a_server_path(model)


@pytest.mark.parametrize(
    "message",
    [
        "model folder /srv/weights/wan has no model_index.json",
        "[Errno 2] No such file or directory: '/var/lib/reelvault/scratch/job_x/in.png'",
        "cannot read C:\\Users\\op\\weights\\model_index.json",
        "cannot read ~operator/weights",
    ],
)
def test_stored_job_errors_carry_no_server_paths(message: str) -> None:
    cleaned = without_server_paths(message)
    assert cleaned is not None and "[path]" in cleaned
    for fragment in ("srv", "var/lib", "Users", "operator"):
        assert fragment not in cleaned


def test_urls_and_ids_in_error_text_are_kept() -> None:
    text = "fal-ai/kling-video/v2 at https://queue.fal.run/a failed (HTTP 404); text/video 1/2"
    assert without_server_paths(text) == text
