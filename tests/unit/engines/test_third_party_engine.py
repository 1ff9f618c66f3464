"""An engine from another package gets every behaviour a built-in one gets.

The package here is real: a module and a ``*.dist-info`` folder on ``sys.path``, found
through the ``reelvault.engines`` entry-point group exactly as a ``pip install``-ed one
would be. It declares what it is (neural, sends data to a provider, hosts a model, has a
free-text parameter) and nothing in the job path names it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from reelvault.app.compose import open_runtime
from reelvault.config import Settings
from reelvault.db.models import Job
from reelvault.engines.registry import load_registry
from reelvault.errors import ConsentRequiredError, EngineError
from reelvault.jobs.queries import export_output
from reelvault.jobs.request import resolve_engine
from reelvault.jobs.submission import submit_job
from reelvault.media.provenance.keys import init_provenance
from reelvault.media.provenance.verify import verify_file
from reelvault.privacy.consent import grant
from reelvault.runtime import Runtime
from reelvault.testing import settings_for
from reelvault.types import JobStatus, Task

from ..jobs.helpers import fake_request, run_to_end

ENGINE_MODULE = """
from typing import ClassVar

import numpy as np

from reelvault.engines.base import (
    EngineBase, EngineParams, ModelDefaults, Outbound, VideoFrames,
)
from reelvault.types import Task


class AcmeParams(EngineParams):
    free_text_fields: ClassVar[frozenset[str]] = frozenset({"mood"})
    identifier_fields: ClassVar[frozenset[str]] = frozenset({"model"})

    model: str = "acme/v1"
    mood: str | None = None


class AcmeEngine(EngineBase):
    name: ClassVar[str] = "acme"
    description: ClassVar[str] = "A hosted model from a plugin package."
    tasks: ClassVar[frozenset[Task]] = frozenset({Task.TEXT_TO_VIDEO})
    runs_locally: ClassVar[bool] = False
    neural: ClassVar[bool] = True
    params_model: ClassVar[type[EngineParams]] = AcmeParams
    received: ClassVar[list[str | None]] = []

    def hosts_model(self, model: str) -> bool:
        return model.startswith("acme/")

    def model_defaults(self, model: str) -> ModelDefaults:
        return ModelDefaults(size=(96, 64), fps=6, seconds=0.5)

    def outbound(self, task, params, *, prompt):
        return Outbound(provider="acme", title="Acme Cloud", sends=("prompt",))

    def run(self, request, progress):
        self.received.append(request.params.mood)
        count = request.frame_count

        def frames():
            for index in range(count):
                yield np.full((request.height, request.width, 3), 40 + index, np.uint8)
                progress((index + 1) / count, "rendering")

        return VideoFrames(frames(), count, request.fps, request.width, request.height)
"""

UNDECLARED_MODULE = """
from typing import ClassVar

from reelvault.types import Task


class HalfEngine:
    name: ClassVar[str] = "half"
    description: ClassVar[str] = "Declares too little."
    tasks: ClassVar[frozenset[Task]] = frozenset({Task.TEXT_TO_VIDEO})

    def run(self, request, progress):
        raise NotImplementedError
"""


def _install(root: Path, package: str, module: str, entry: str) -> None:
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text(textwrap.dedent(module))
    info = root / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[reelvault.engines]\n{entry}\n")


@pytest.fixture
def plugin_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    site = tmp_path / "site"
    _install(site, "acme_reelvault", ENGINE_MODULE, "acme = acme_reelvault:AcmeEngine")
    monkeypatch.syspath_prepend(str(site))
    settings: Settings = settings_for(tmp_path)
    init_provenance(settings)  # outputs get content credentials, as built-in ones do
    return open_runtime(settings, registry=load_registry(settings))


def test_the_entry_point_engine_is_listed(plugin_runtime: Runtime) -> None:
    assert "acme" in plugin_runtime.registry.names()


def test_a_model_id_it_hosts_routes_to_it(plugin_runtime: Runtime) -> None:
    engine, extra = resolve_engine(
        plugin_runtime, task=Task.TEXT_TO_VIDEO, engine=None, model="acme/v2"
    )
    assert (engine, extra) == ("acme", {"model": "acme/v2"})
    defaults = plugin_runtime.registry.get("acme").model_defaults("acme/v2")
    assert (defaults.size, defaults.fps) == ((96, 64), 6)


def test_it_gets_the_consent_gate_the_free_text_rule_and_neural_credentials(
    plugin_runtime: Runtime, tmp_path: Path
) -> None:
    request = fake_request(engine="acme", width=96, height=64, params={"mood": "Teal Heron"})
    with pytest.raises(ConsentRequiredError, match="Acme Cloud"):
        submit_job(plugin_runtime, request)
    grant(plugin_runtime, request.owner_id, "provider:acme")

    view = run_to_end(plugin_runtime, request)
    assert view.status is JobStatus.COMPLETED, view.error_message
    engine = plugin_runtime.registry.get("acme")
    assert engine.received == ["Teal Heron"]  # type: ignore[attr-defined]
    with plugin_runtime.session() as session:
        assert "mood" not in session.scalars(select(Job.params)).one()

    video = tmp_path / "acme.mp4"
    export_output(plugin_runtime, view.id, video)
    report = verify_file(video, plugin_runtime.settings)
    assert report.manifest == "valid"
    assert report.digital_source_type == "trainedAlgorithmicMedia"


def test_a_plugin_that_declares_too_little_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    _install(site, "half_reelvault", UNDECLARED_MODULE, "half = half_reelvault:HalfEngine")
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(EngineError, match=r"runs_locally.*outbound"):
        load_registry(settings_for(tmp_path))
