"""Model management on local folders; the network is closed here, so pull's error paths."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from reelvault.config import Settings
from reelvault.engines.diffusers import find_model
from reelvault.engines.diffusers.catalogue import ModelSpec
from reelvault.engines.diffusers.hub import (
    MANIFEST,
    RemoteFile,
    check_disk_space,
    installed_models,
    missing_bytes,
    pull,
    remove,
    verify,
    write_manifest_for_folder,
)
from reelvault.errors import EngineError, NotFoundError, StorageError, ValidationError
from reelvault.testing import settings_for
from tests.unit.engines.diffusers.conftest import TINY_MODELS

CLOSED_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing listens, connection refused


def test_disk_space_is_checked_against_the_files_still_missing(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "big"
    huge = [RemoteFile("transformer/model.safetensors", 10**18, "0" * 64)]
    with pytest.raises(StorageError, match="not enough disk space") as caught:
        check_disk_space(folder, huge)
    assert "GiB is free" in caught.value.message
    small = [RemoteFile("model_index.json", 1000)]
    assert check_disk_space(folder, small) == 1000


def test_files_already_complete_need_no_space_and_partials_are_fetched_again(
    tmp_path: Path,
) -> None:
    (tmp_path / "vae").mkdir()
    (tmp_path / "vae" / "config.json").write_bytes(b"x" * 10)
    (tmp_path / "vae" / "weights.safetensors").write_bytes(b"x" * 5)  # partial
    files = [
        RemoteFile("vae/config.json", 10),
        RemoteFile("vae/weights.safetensors", 50),
        RemoteFile("model_index.json", 7),
    ]
    assert missing_bytes(tmp_path, files) == 57


def test_pull_without_network_fails_with_one_clear_line(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        pull(find_model("wan2.1-t2v-1.3b"), settings, endpoint=CLOSED_ENDPOINT)
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith("could not reach the Hugging Face Hub to pull wan2.1-t2v-1.3b")
    assert time.monotonic() - started < 30
    assert not (settings.resolved_models_dir / "wan2.1-t2v-1.3b").exists()  # nothing begun


def test_pulling_a_local_folder_model_is_refused(tiny_settings: Settings) -> None:
    with pytest.raises(ValidationError, match="local folder; there is nothing to pull"):
        pull(find_model("tiny-wan", tiny_settings), tiny_settings, endpoint=CLOSED_ENDPOINT)


def _pulled_copy(settings: Settings, folder: Path) -> ModelSpec:
    """A tiny model laid out exactly as `models pull` leaves one: <models_dir>/<id>."""
    spec = find_model("cogvideox-2b", settings)
    target = spec.folder(settings)
    shutil.copytree(folder, target)
    write_manifest_for_folder(spec, target)
    return spec


def test_verify_finds_missing_resized_and_altered_files(
    tiny_settings: Settings, tiny_folders: dict[str, Path]
) -> None:
    spec = _pulled_copy(tiny_settings, tiny_folders["tiny-cogvideox"])
    folder = spec.folder(tiny_settings)
    report = verify(spec, tiny_settings)
    assert report.ok and report.checked >= 8 and report.hashed == report.checked
    weights = folder / "vae" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    (folder / "scheduler" / "scheduler_config.json").write_text("{}")
    (folder / "tokenizer" / "tokenizer.json").unlink()
    problems = verify(spec, tiny_settings).problems
    assert "vae/diffusion_pytorch_model.safetensors does not match its SHA-256" in problems
    assert any(p.startswith("scheduler/scheduler_config.json has 2 bytes") for p in problems)
    assert "tokenizer/tokenizer.json is missing" in problems
    assert verify(spec, tiny_settings, hashes=False).hashed == 0


def test_verify_without_a_manifest_checks_the_components(
    tiny_settings: Settings, tiny_folders: dict[str, Path], tmp_path: Path
) -> None:
    assert verify(find_model("tiny-wan", tiny_settings), tiny_settings).ok
    copy = tmp_path / "copy"
    shutil.copytree(tiny_folders["tiny-wan"], copy)
    shutil.rmtree(copy / "vae")
    report = verify(find_model(str(copy)), tiny_settings)
    assert report.problems == ("component vae is missing",)
    assert (
        verify(find_model("wan2.1-t2v-1.3b"), tiny_settings)
        .problems[0]
        .endswith("run `reelvault models pull wan2.1-t2v-1.3b`")
    )


def test_list_and_remove(tiny_settings: Settings, tiny_folders: dict[str, Path]) -> None:
    spec = _pulled_copy(tiny_settings, tiny_folders["tiny-cogvideox"])
    listed = {model.id: model for model in installed_models(tiny_settings)}
    assert set(listed) == {"cogvideox-2b", *TINY_MODELS}
    assert listed["cogvideox-2b"].bytes > 10_000 and listed["cogvideox-2b"].licence == "apache-2.0"
    assert (spec.folder(tiny_settings) / MANIFEST).is_file()
    assert remove(spec, tiny_settings) == listed["cogvideox-2b"].bytes
    assert not spec.folder(tiny_settings).exists()
    with pytest.raises(NotFoundError, match="not installed"):
        remove(spec, tiny_settings)
    with pytest.raises(ValidationError, match="your own folder"):
        remove(find_model("tiny-wan", tiny_settings), tiny_settings)
    assert tiny_folders["tiny-wan"].is_dir()
