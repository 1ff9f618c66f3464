"""``reelvault models`` (the Typer sub-app), on local folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from reelvault.cli.models import app
from reelvault.cli.state import CliState
from reelvault.config import Settings
from reelvault.engines.diffusers import find_model
from reelvault.engines.diffusers.hub import write_manifest_for_folder
from reelvault.errors import EngineError, ValidationError
from tests.unit.engines.diffusers.conftest import TINY_MODELS


def _invoke(settings: Settings, *args: str) -> object:
    # The console is made here, outside the runner's environment: its width is given,
    # so that no terminal (or none, under a parallel test worker) truncates the table.
    state = CliState(data_dir=settings.data_dir, console=Console(width=200))
    return CliRunner().invoke(app, list(args), obj=state, env={"COLUMNS": "200"})


def test_list_shows_installed_models_with_size_and_licence(tiny_settings: Settings) -> None:
    result = _invoke(tiny_settings, "list", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    rows = json.loads(result.output)  # type: ignore[attr-defined]
    assert [row["id"] for row in rows] == list(TINY_MODELS)
    assert all(row["installed"] and row["bytes"] > 0 and row["licence"] for row in rows)
    table = _invoke(tiny_settings, "list", "--all")
    assert "wan2.1-t2v-1.3b" in table.output and "test-only" in table.output  # type: ignore[attr-defined]


def test_list_all_shows_licence_and_whose_memory_figure_with_the_card_in_json(
    tiny_settings: Settings,
) -> None:
    table: str = _invoke(tiny_settings, "list", "--all").output  # type: ignore[attr-defined]
    lines = {line.split()[1]: line for line in table.splitlines() if line.count("│") > 2}
    hunyuan = lines["hunyuanvideo-1.5-480p-t2v"]
    assert "tencent-hunyuan-community" in hunyuan and "28 GB (derived from the card's" in hunyuan
    assert "16 GB (our estimate)" in lines["sana-video-2b-480p"]
    listed: str = _invoke(tiny_settings, "list", "--all", "--json").output  # type: ignore[attr-defined]
    rows = {row["id"]: row for row in json.loads(listed)}
    card = rows["skyreels-v2-df-1.3b-540p"]["card"]
    assert card["url"] == "https://github.com/SkyworkAI/SkyReels-V2"
    assert card["revision"] == "fd11285" and card["vram_gb_source"] == "estimate"
    assert rows["skyreels-v2-df-1.3b-540p"]["vram_gb_source"] == "estimate"
    # A user's own entry (the tiny test models) may have no card.
    assert rows["tiny-wan"]["card"] is None and rows["tiny-wan"]["vram_gb_source"] is None


def test_verify_and_rm(tiny_settings: Settings, tiny_folders: dict[str, Path]) -> None:
    spec = find_model("ltx-video-0.9", tiny_settings)
    shutil.copytree(tiny_folders["tiny-ltx"], spec.folder(tiny_settings))
    write_manifest_for_folder(spec, spec.folder(tiny_settings))
    ok = _invoke(tiny_settings, "verify", "ltx-video-0.9")
    assert ok.exit_code == 0 and "ok ltx-video-0.9" in ok.output  # type: ignore[attr-defined]
    (spec.folder(tiny_settings) / "model_index.json").write_text("{}")
    bad = _invoke(tiny_settings, "verify", "ltx-video-0.9", "--quick")
    assert isinstance(bad.exception, ValidationError)  # type: ignore[attr-defined]
    assert "reelvault models pull ltx-video-0.9" in str(bad.exception)  # type: ignore[attr-defined]
    removed = _invoke(tiny_settings, "rm", "ltx-video-0.9", "--yes")
    assert removed.exit_code == 0 and "removed ltx-video-0.9" in removed.output  # type: ignore[attr-defined]
    assert not spec.folder(tiny_settings).exists()


def test_pull_failure_is_a_reelvault_error(tiny_settings: Settings) -> None:
    # A closed local port stands for "no network" even on a machine that has one.
    result = _invoke(tiny_settings, "pull", "cogvideox-2b", "--endpoint", "http://127.0.0.1:9")
    assert isinstance(result.exception, EngineError)  # type: ignore[attr-defined]
    assert "could not reach the Hugging Face Hub" in str(result.exception)  # type: ignore[attr-defined]


# Built-in models and the memory mode each card size gets (vram_gb in models.yaml;
# model offload needs half the peak, sequential offload a fifth).
RECOMMENDED: dict[int, dict[str, str | None]] = {
    8: {"wan2.1-t2v-1.3b": "model", "wan2.2-ti2v-5b": "sequential", "wan2.1-t2v-14b": None},
    16: {"wan2.1-t2v-1.3b": "none", "wan2.2-ti2v-5b": "model", "wan2.2-t2v-a14b": "sequential"},
    24: {"wan2.2-ti2v-5b": "none", "wan2.1-t2v-14b": "model", "cogvideox-5b": "model"},
    48: {"wan2.1-t2v-14b": "none", "wan2.2-t2v-a14b": "model", "ltx-video-0.9": "none"},
    80: {"wan2.2-t2v-a14b": "none", "wan2.2-animate-14b": "none"},
}


def test_recommend_gives_each_model_a_memory_mode_per_card_size(tiny_settings: Settings) -> None:
    for gpu_gb, expected in RECOMMENDED.items():
        result = _invoke(tiny_settings, "recommend", "--gpu-memory", str(gpu_gb), "--json")
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        modes = {row["id"]: row["mode"] for row in json.loads(result.output)["models"]}  # type: ignore[attr-defined]
        for model_id, mode in expected.items():
            assert modes[model_id] == mode, (gpu_gb, model_id)
    table = _invoke(tiny_settings, "recommend", "--gpu-memory", "8")
    assert "model CPU offload" in table.output and "does not fit" in table.output  # type: ignore[attr-defined]


def test_recommend_without_a_gpu_points_to_the_embedded_engines(
    tiny_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reelvault.engines.diffusers import recommend

    monkeypatch.setattr(recommend, "detected_gpu_gb", lambda: None)
    result = _invoke(tiny_settings, "recommend")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "no CUDA GPU" in result.output  # type: ignore[attr-defined]
    assert "procedural, livephoto, puppet" in result.output  # type: ignore[attr-defined]
    assert "CPU path" in result.output  # type: ignore[attr-defined]
