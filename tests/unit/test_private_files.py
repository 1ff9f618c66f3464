"""One way to make a private folder, with an explicit choice about existing ones."""

from __future__ import annotations

import errno
import stat
from pathlib import Path

import pytest

from reelvault.errors import StorageError
from reelvault.private_files import ensure_private_dir, storage_error


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_missing_folders_are_made_private(tmp_path: Path) -> None:
    made = ensure_private_dir(tmp_path / "a" / "b", tighten_existing=False)
    assert made == tmp_path / "a" / "b"
    assert _mode(made) == 0o700


def test_an_existing_folder_is_tightened_only_when_asked(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    ensure_private_dir(shared, tighten_existing=False)
    assert _mode(shared) == 0o755  # an operator's folder keeps its mode
    ensure_private_dir(shared)
    assert _mode(shared) == 0o700


def test_a_file_in_the_way_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot create directory"):
        ensure_private_dir(tmp_path / "file" / "sub")


def test_a_full_disk_reads_as_one_clear_line() -> None:
    error = storage_error(OSError(errno.ENOSPC, "No space left"), "could not write")
    assert error.message == "could not write: no space left on device"
