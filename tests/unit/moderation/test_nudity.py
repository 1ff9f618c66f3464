"""The optional ``nudity`` moderator (NudeNet 3.4.2, AGPL-3.0, extra ``reelvault[nudity]``).

Real photos that ship with the tests must pass through the real model. Nothing explicit
is in the repository, so the flag path is driven by :class:`ScriptedOnnxSession`: it
stands in for the ONNX model call alone (``detector.onnx_session``) and answers with a
detection of an exposed body part, which the real NudeNet post-processing and the
moderator then turn into a ``nudity`` finding.

Without the extra these tests are skipped (the extra is not in the dev environment:
nudenet pulls opencv-python-headless, which overwrites the cv2 of opencv-contrib-python);
the unavailable path is tested either way.
"""

from __future__ import annotations

import importlib.util
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from sqlalchemy import func, select
from typer.testing import CliRunner

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.cli.admin import moderators
from reelvault.cli.state import CliState
from reelvault.db.models import Job
from reelvault.errors import ConfigError
from reelvault.moderation import ModerationPipeline, Verdict
from reelvault.moderation.nudity import EXPOSED_PARTS, NudityModerator, bundled_model
from reelvault.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for
from tests.unit.api.conftest import FAKE_JOB, wait_for

DATA = Path(__file__).parents[2] / "data"
PHOTOS = ["fullbody_yoga_beach.jpg", "portrait_astronaut_256.jpg"]
MISSING = NudityModerator.unavailable()
needs_nudenet = pytest.mark.skipif(
    MISSING is not None, reason=f"the optional nudity extra is not installed ({MISSING})"
)
# NudeNet's 18 classes, in its model's output order (nudenet/nudenet.py, __labels).
LABELS = [
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
]


class ScriptedOnnxSession:
    """Replaces the detector's ``onnxruntime.InferenceSession``: answers every ``run``
    with one box of ``label`` at ``score`` (YOLOv8 layout: 1 x (4 + 18) x boxes)."""

    def __init__(self, real: Any, label: str, score: float) -> None:
        self.real = real
        self.label, self.score = label, score
        self.calls = 0

    def get_inputs(self) -> Any:
        return self.real.get_inputs()

    def run(self, names: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        self.calls += 1
        out = np.zeros((1, 4 + len(LABELS), 2), dtype=np.float32)
        out[0, :4, 0] = (160, 160, 80, 80)  # centre x, centre y, width, height
        out[0, 4 + LABELS.index(self.label), 0] = self.score
        return [out]


def _rgb(name: str) -> np.ndarray:
    return np.asarray(Image.open(DATA / name).convert("RGB"))


@pytest.fixture(scope="module")
def moderator() -> NudityModerator:
    if MISSING is not None:
        pytest.skip(f"the optional nudity extra is not installed ({MISSING})")
    return NudityModerator()


@needs_nudenet
def test_the_labels_are_nudenets_own() -> None:
    from nudenet import nudenet as module

    assert getattr(module, "__labels") == LABELS
    assert set(LABELS) >= EXPOSED_PARTS


@needs_nudenet
@pytest.mark.parametrize("photo", PHOTOS)
def test_real_photos_pass(moderator: NudityModerator, photo: str) -> None:
    assert moderator.check_image(_rgb(photo)) == []


@needs_nudenet
def test_an_exposed_part_is_nudity_and_a_covered_one_is_not(moderator: NudityModerator) -> None:
    real = moderator.detector.onnx_session
    try:
        for label, score, expected in (
            ("FEMALE_BREAST_EXPOSED", 0.91, [("nudity", 0.91)]),
            ("BUTTOCKS_EXPOSED", 0.6, [("nudity", 0.6)]),
            ("FEMALE_BREAST_COVERED", 0.95, []),
            ("FEET_EXPOSED", 0.95, []),
        ):
            moderator.detector.onnx_session = ScriptedOnnxSession(real, label, score)
            found = moderator.check_image(_rgb("fullbody_yoga_beach.jpg"))
            assert [(f.category, round(f.score, 2)) for f in found] == expected, label
    finally:
        moderator.detector.onnx_session = real


@needs_nudenet
def test_the_model_is_the_one_in_the_package_and_nothing_is_downloaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = importlib.util.find_spec("nudenet")
    assert spec is not None and spec.origin is not None
    assert bundled_model() == Path(spec.origin).parent / "320n.onnx"
    assert bundled_model().stat().st_size > 10_000_000

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the nudity moderator tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    fresh = NudityModerator()
    assert fresh.check_image(_rgb("portrait_astronaut_256.jpg")) == []


def test_without_the_extra_it_is_a_clear_settings_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def without_nudenet(name: str, *args: Any) -> Any:
        return None if name == "nudenet" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_nudenet)
    with pytest.raises(
        ConfigError, match=r"cannot run here: nudenet(, onnxruntime)? not installed"
    ) as caught:
        ModerationPipeline(settings_for(tmp_path, moderators=["rules", "nudity"]))
    assert 'pip install "reelvault[nudity]"' in caught.value.message
    assert caught.value.param == "moderators"
    # Not named in the settings: nothing to refuse.
    assert [m.name for m in ModerationPipeline(settings_for(tmp_path)).moderators] == ["rules"]
    listed = _moderators_cli(tmp_path)
    nudity = next(row for row in listed if row["name"] == "nudity")
    assert nudity["available"] is False and "reelvault[nudity]" in nudity["missing"]
    assert "AGPL-3.0" in nudity["licence"]
    table = " ".join(_moderators_text(tmp_path).split())
    assert (
        'nudity (images; not installed: nudenet not installed: pip install "reelvault[nudity]"'
        in table
    )


def _moderators_text(tmp_path: Path, *args: str) -> str:
    # The command alone, with settings of its own (the root callback would read the
    # environment's).
    command = typer.Typer()
    command.command()(moderators)
    state = CliState(console=Console(width=200), _settings=settings_for(tmp_path / "cli"))
    result = CliRunner().invoke(command, list(args), obj=state)
    assert result.exit_code == 0, result.output
    return str(result.output)


def _moderators_cli(tmp_path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(_moderators_text(tmp_path, "--json"))
    return rows


def test_the_list_says_which_moderators_run(tmp_path: Path) -> None:
    rows = {row["name"]: row for row in _moderators_cli(tmp_path)}
    assert rows["rules"]["runs"] is True and rows["rules"]["looks_at"] == ["text"]
    assert rows["nudity"]["runs"] is False and rows["nudity"]["looks_at"] == ["images"]
    assert rows["nudity"]["available"] is (MISSING is None)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    if MISSING is not None:
        pytest.skip(f"the optional nudity extra is not installed ({MISSING})")
    settings = settings_for(tmp_path, moderators=["rules", "nudity"])
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client
    runtime.close()


def _scripted(client: TestClient, label: str = "FEMALE_GENITALIA_EXPOSED") -> ScriptedOnnxSession:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    moderator = runtime.moderation.get("nudity")
    assert isinstance(moderator, NudityModerator)
    scripted = ScriptedOnnxSession(moderator.detector.onnx_session, label, 0.88)
    moderator.detector.onnx_session = scripted
    return scripted


def _jobs(client: TestClient) -> int:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    with runtime.session() as session:
        return int(session.scalar(select(func.count()).select_from(Job)) or 0)


def _i2v(client: TestClient) -> Any:
    photo = (DATA / "fullbody_yoga_beach.jpg").read_bytes()
    fields = {k: str(v) for k, v in FAKE_JOB.items() if k != "prompt"}
    return client.post(
        "/api/v1/jobs",
        data={**fields, "task": "image_to_video"},
        files={"image": ("me.jpg", photo, "image/jpeg")},
    )


def test_an_uploaded_photo_goes_through_the_model(client: TestClient) -> None:
    passed = _i2v(client)
    assert passed.status_code == 201, passed.text
    # Its output frames go through the real model too: let it finish first.
    assert wait_for(client, passed.json()["id"])["status"] == "completed"
    scripted = _scripted(client)
    refused = _i2v(client)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["param"], error["categories"]) == (
        "content_blocked",
        "image",
        ["nudity"],
    )
    assert scripted.calls == 1 and _jobs(client) == 1


def test_sampled_output_frames_go_through_the_model(client: TestClient) -> None:
    ordinary = client.post("/api/v1/jobs", json=FAKE_JOB)
    assert wait_for(client, ordinary.json()["id"])["status"] == "completed"
    scripted = _scripted(client)
    response = client.post("/api/v1/jobs", json=FAKE_JOB)
    assert response.status_code == 201, response.text
    job = wait_for(client, response.json()["id"])
    assert job["status"] == "failed" and job["error"]["code"] == "content_blocked", job
    assert scripted.calls >= 1 and "nudity" in job["error"]["message"]
    assert job["output_bytes"] is None
    assert client.get(f"/api/v1/jobs/{job['id']}/content").status_code in (404, 409, 410)


def test_the_finding_blocks_by_default(moderator: NudityModerator, tmp_path: Path) -> None:
    pipeline = ModerationPipeline(settings_for(tmp_path))
    real = moderator.detector.onnx_session
    moderator.detector.onnx_session = ScriptedOnnxSession(real, "MALE_GENITALIA_EXPOSED", 0.7)
    try:
        pipeline.moderators = (*pipeline.moderators, moderator)
        decision = pipeline.assess_images([_rgb("portrait_astronaut_256.jpg")])
    finally:
        moderator.detector.onnx_session = real
    assert (decision.verdict, decision.categories) == (Verdict.BLOCK, ("nudity",))
