"""The third-party providers are named, and what they receive is said in full.

The seed policy names its processors (fal.ai, Kling) and promises that only images and
videos are shared with them; a remote job here also sends the prompt and the negative
prompt, so the policy page and the consent text say so. The consent the studio and the
privacy centre offer is the purpose the job gate checks (``provider:fal``), not the
engine's name (``provider:remote``), or an opt-in would be recorded and then ignored.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.engines.registry import EngineRegistry
from reelvault.engines.remote import RemoteConfig, RemoteEngine, parse_target
from reelvault.errors import ValidationError
from reelvault.runtime import Runtime
from reelvault.testing import FakeEngine, settings_for
from tests.unit.engines.remote.conftest import fal, remote_config  # noqa: F401 (fixture)
from tests.unit.engines.remote.fakes import FakeFal
from tests.unit.privacy.api_helpers import bearer, declare_adult

STATIC = Path(__file__).resolve().parents[3] / "src" / "reelvault" / "web" / "static"
MODEL = "fal-ai/kling-video/v2/master/text-to-video"


def _configured(config: RemoteConfig) -> type[RemoteEngine]:
    class ConfiguredRemote(RemoteEngine):
        def __init__(self, settings: Any) -> None:
            super().__init__(settings, config=config)

    return ConfiguredRemote


@pytest.fixture
def app_with_fal(
    tmp_path: Path,
    fal: FakeFal,  # noqa: F811
) -> Iterator[tuple[TestClient, Runtime]]:
    settings = settings_for(tmp_path, rate_limit_per_minute=0)
    registry = EngineRegistry(settings)
    registry.register(FakeEngine)
    registry.register(_configured(remote_config(tmp_path, fal=fal)))
    runtime = open_runtime(settings, registry=registry)
    try:
        with TestClient(create_app(settings, runtime=runtime, worker_mode="none")) as client:
            yield client, runtime
    finally:
        runtime.close()


def test_the_policy_page_names_each_configured_provider_and_what_it_receives(
    app_with_fal: tuple[TestClient, Runtime],
) -> None:
    client, _ = app_with_fal
    data = client.get("/privacy.json").json()
    assert [(item["name"], item["title"]) for item in data["processors"]] == [("fal", "fal.ai")]
    assert data["processors"][0]["consent_purpose"] == "provider:fal"
    page = client.get("/privacy").text
    processors = page[page.index("<h2>Processors</h2>") : page.index("<h2>International")]
    assert "fal.ai" in processors and "Kling" in processors
    assert "remote" not in processors.lower()
    assert "prompt" in processors and "negative prompt" in processors


def test_provider_consent_is_offered_under_the_purpose_the_job_gate_checks(
    app_with_fal: tuple[TestClient, Runtime],
) -> None:
    client, runtime = app_with_fal
    headers, _ = bearer(runtime)
    declare_adult(client, headers)
    listed = client.get("/api/v1/privacy/consents", headers=headers).json()["purposes"]
    providers = [item for item in listed if item["purpose"].startswith("provider:")]
    assert [item["purpose"] for item in providers] == ["provider:fal"]
    # The consent text says the prompt and the negative prompt are sent, not only files.
    assert "your prompt, your negative prompt" in providers[0]["description"]
    assert "fal.ai" in providers[0]["description"]
    job = {"model": MODEL, "prompt": "a fox", "size": "640x360", "seconds": 2}
    refused = client.post("/api/v1/jobs", json=job, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "consent_required"
    # Granting exactly what was offered lets the job through the gate.
    granted = client.put(
        f"/api/v1/privacy/consents/{providers[0]['purpose']}",
        json={"granted": True},
        headers=headers,
    )
    assert granted.status_code == 200, granted.text
    accepted = client.post("/api/v1/jobs", json=job, headers=headers)
    assert accepted.status_code == 201, accepted.text


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_studio_finds_the_same_provider_as_the_server() -> None:
    models = [
        MODEL,
        "fal:owner/app/path",
        "replicate:owner/name",
        "comfyui",
        "comfyui:",
        " fal-ai/wan/i2v ",
        "remote",
        "",
        "kling",
    ]
    script = (
        f"import {{ providerOfModel }} from {json.dumps((STATIC / 'providers.js').as_uri())};"
        f"console.log(JSON.stringify({json.dumps(models)}.map(providerOfModel)));"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    expected: list[str | None] = []
    for model in models:
        try:
            expected.append(parse_target(model)[0])
        except ValidationError:
            expected.append(None)
    assert json.loads(done.stdout) == expected
    # The studio asks providers.js, and never falls back to the engine's own name.
    studio = (STATIC / "studio.js").read_text()
    start = studio.index("function providerOf(")
    body = studio[start : studio.index("\n}", start)]
    assert "providerOfModel(" in body and "engine.name" not in body
