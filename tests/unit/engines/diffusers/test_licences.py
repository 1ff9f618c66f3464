"""Pulling a model under terms of its own waits for the operator to accept them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import huggingface_hub
import pytest
from rich.console import Console
from typer.testing import CliRunner

from reelvault.cli.models import app
from reelvault.cli.state import CliState
from reelvault.config import Settings
from reelvault.engines.diffusers import find_model, hub
from reelvault.engines.diffusers.licences import LICENCES, licence_terms, needs_acceptance
from reelvault.errors import EngineError, ValidationError

CLOSED_ENDPOINT = "http://127.0.0.1:9"  # nothing listens: any network attempt fails at once


def _pull(settings: Settings, *args: str) -> Any:
    state = CliState(data_dir=settings.data_dir, console=Console(width=200))
    return CliRunner().invoke(
        app, ["pull", *args, "--endpoint", CLOSED_ENDPOINT], obj=state, env={"COLUMNS": "200"}
    )


def test_a_model_under_its_own_licence_is_refused_before_anything_is_fetched(
    tiny_settings: Settings,
) -> None:
    result = _pull(tiny_settings, "ltx-2-19b")
    error = result.exception
    assert isinstance(error, ValidationError), result.output
    # The terms are named with where to read them and what is easy to miss; no network
    # was tried (that would have been "could not reach the Hugging Face Hub").
    assert "LTX-2 Community License Agreement" in error.message
    assert "https://github.com/Lightricks/LTX-2" in error.message
    assert "10M" in error.message
    assert "--accept-licence" in error.message
    assert not find_model("ltx-2-19b", tiny_settings).folder(tiny_settings).exists()


def test_accepting_the_licence_lets_the_pull_go_on(tiny_settings: Settings) -> None:
    result = _pull(tiny_settings, "ltx-2-19b", "--accept-licence")
    assert isinstance(result.exception, EngineError)
    assert "could not reach the Hugging Face Hub" in str(result.exception)


def test_an_open_source_model_needs_no_acceptance(tiny_settings: Settings) -> None:
    result = _pull(tiny_settings, "wan2.1-t2v-1.3b")
    assert isinstance(result.exception, EngineError)
    assert "could not reach the Hugging Face Hub" in str(result.exception)


def test_every_catalogue_licence_is_known_and_only_open_source_ones_skip_acceptance(
    tiny_settings: Settings,
) -> None:
    from reelvault.engines.diffusers.catalogue import catalogue

    for spec in catalogue(tiny_settings):
        if spec.repo is None:
            continue  # a local folder: nothing is pulled
        assert spec.licence in LICENCES, spec.id
        assert needs_acceptance(spec.licence) == (spec.licence not in {"apache-2.0", "mit"})
    unknown = licence_terms("someone-elses-terms")
    assert needs_acceptance("someone-elses-terms") and "someone-elses-terms" in unknown.name


def test_the_accepted_licence_is_recorded_with_the_commit(
    tiny_settings: Settings, tiny_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Hub stands in as a folder: the snapshot it answers and the files it serves.
    source = tiny_folders["tiny-wan"]  # any pipeline folder: the pull only copies files
    files = tuple(
        hub.RemoteFile(str(path.relative_to(source)), path.stat().st_size)
        for path in sorted(source.rglob("*"))
        if path.is_file()
    )
    commit = "0123456789abcdef0123456789abcdef01234567"

    def snapshot(spec: Any, *, endpoint: str | None = None) -> hub.RemoteSnapshot:
        return hub.RemoteSnapshot(spec.repo, commit, files)

    def download(repo: str, *, local_dir: Path, **_: Any) -> str:
        shutil.copytree(source, local_dir, dirs_exist_ok=True)
        return str(local_dir)

    monkeypatch.setattr(hub, "remote_snapshot", snapshot)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", download)
    spec = find_model("ltx-2-19b", tiny_settings)
    hub.pull(spec, tiny_settings, accept_licence=True)
    manifest = json.loads((spec.folder(tiny_settings) / hub.MANIFEST).read_text())
    assert manifest["revision"] == commit
    assert manifest["licence_accepted"] == "ltx-2-community-license"

    open_spec = find_model("wan2.1-t2v-1.3b", tiny_settings)
    hub.pull(open_spec, tiny_settings)
    manifest = json.loads((open_spec.folder(tiny_settings) / hub.MANIFEST).read_text())
    assert manifest["licence_accepted"] is None


def test_pull_help_names_the_option() -> None:
    result = CliRunner().invoke(app, ["pull", "--help"], env={"COLUMNS": "200"})
    assert "--accept-licence" in result.output
