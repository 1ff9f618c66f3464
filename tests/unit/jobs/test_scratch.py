"""Scratch space: RAM-backed by default, outside data_dir, private, gone after the job."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import pytest

from reelvault import config
from reelvault.app.compose import open_runtime
from reelvault.cli.serve import key_file_warning
from reelvault.engines.base import GenerationRequest, ProgressCallback, VideoFrames
from reelvault.errors import StorageError
from reelvault.testing import FakeEngine, registry_with_fake, settings_for
from reelvault.types import JobStatus
from tests.unit.jobs.helpers import fake_request, run_to_end


class ScratchSpy(FakeEngine):
    """The fake engine, noting where the job's decrypted inputs and scratch lie."""

    name: ClassVar[str] = "scratch-spy"
    seen: ClassVar[list[Path]] = []

    def run(self, request: GenerationRequest, progress: ProgressCallback) -> VideoFrames:
        ScratchSpy.seen.append(request.scratch_dir)
        assert request.scratch_dir.is_dir()
        return super().run(request, progress)


@pytest.fixture
def shm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for /dev/shm, so these tests neither need nor touch the real one."""
    ram = tmp_path / "shm"
    ram.mkdir()
    ram.chmod(0o1777)
    monkeypatch.setattr(config, "RAM_BACKED_DIR", ram)
    return ram


def test_default_scratch_is_in_memory_and_outside_data_dir(tmp_path: Path, shm: Path) -> None:
    settings = settings_for(tmp_path)
    assert settings.scratch_dir.is_relative_to(shm)
    assert not settings.scratch_dir.is_relative_to(settings.data_dir)
    registry = registry_with_fake()
    registry.register(ScratchSpy)
    runtime = open_runtime(settings, registry=registry)
    try:
        job = run_to_end(runtime, fake_request(engine="scratch-spy"))
        assert job.status == JobStatus.COMPLETED
        (used,) = ScratchSpy.seen[-1:]
        assert used.is_relative_to(shm)
        assert not used.exists(), "the job's scratch directory is removed when it ends"
        assert not any(p.name == "scratch" for p in settings.data_dir.rglob("*"))
        assert (settings.scratch_dir.stat().st_mode & 0o777) == 0o700
        assert (settings.scratch_dir.parent.stat().st_mode & 0o777) == 0o700
    finally:
        runtime.close()
    assert not settings.scratch_dir.exists(), "an empty scratch root is not left behind"


def test_two_data_dirs_get_two_scratch_roots(tmp_path: Path, shm: Path) -> None:
    first = settings_for(tmp_path / "a").scratch_dir
    second = settings_for(tmp_path / "b").scratch_dir
    assert first != second and first.parent == second.parent


def test_without_ram_backed_folder_scratch_goes_to_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "RAM_BACKED_DIR", tmp_path / "missing")
    monkeypatch.setattr(config.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    assert settings_for(tmp_path).scratch_dir.is_relative_to(tmp_path / "tmp")


def test_scratch_root_setting_wins(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, scratch_root=tmp_path / "fast")
    assert settings.scratch_dir == tmp_path / "fast"
    open_runtime(settings, registry=registry_with_fake()).close()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_planted_symlink_is_refused(tmp_path: Path, shm: Path) -> None:
    settings = settings_for(tmp_path)
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir(mode=0o777)
    settings.scratch_dir.parent.parent.mkdir(parents=True, exist_ok=True)
    settings.scratch_dir.parent.symlink_to(elsewhere)  # the per-user folder, planted
    with pytest.raises(StorageError, match="not private"):
        open_runtime(settings, registry=registry_with_fake())


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_open_to_others_is_made_private(tmp_path: Path, shm: Path) -> None:
    settings = settings_for(tmp_path)
    settings.scratch_dir.parent.mkdir(parents=True)
    settings.scratch_dir.parent.chmod(0o777)
    open_runtime(settings, registry=registry_with_fake()).close()
    assert (settings.scratch_dir.parent.stat().st_mode & 0o777) == 0o700


def test_key_file_inside_data_dir_warns_for_a_public_deployment(tmp_path: Path) -> None:
    public = settings_for(tmp_path, host="0.0.0.0")
    warning = key_file_warning(public)
    assert warning is not None and "backup" in warning and "operations.md" in warning
    behind_proxy = settings_for(tmp_path, public_base_url="https://videos.example.org")
    assert key_file_warning(behind_proxy) is not None


def test_no_key_file_warning_when_the_key_is_kept_apart(tmp_path: Path) -> None:
    assert key_file_warning(settings_for(tmp_path)) is None  # loopback only
    apart = settings_for(tmp_path, host="0.0.0.0", key_file=tmp_path / "keys" / "master.key")
    assert key_file_warning(apart) is None
    from reelvault.testing import TEST_MASTER_KEY

    env_key = settings_for(tmp_path, host="0.0.0.0", master_key=TEST_MASTER_KEY)
    assert key_file_warning(env_key) is None
