"""Private folders and clear storage errors, for every layer that writes to disk."""

from __future__ import annotations

import errno
from pathlib import Path

from reelvault.errors import StorageError

PRIVATE_DIR_MODE = 0o700


def storage_error(exc: OSError, doing: str) -> StorageError:
    """Turn an ``OSError`` into a :class:`StorageError` with one clear line."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return StorageError(f"{doing}: no space left on device")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StorageError(f"{doing}: permission denied or read-only filesystem")
    return StorageError(f"{doing}: {exc.strerror or exc}")


def ensure_private_dir(path: Path, *, tighten_existing: bool = True) -> Path:
    """Create ``path`` (and parents) readable by this user only; returns ``path``.

    With ``tighten_existing`` (folders reelvault owns: the data and scratch folders) a
    folder that already exists is set to 0700 too. Without it (a key file's folder, which
    the operator may have chosen and shared on purpose) only missing folders are made.
    """
    try:
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
        if tighten_existing:
            path.chmod(PRIVATE_DIR_MODE)
    except OSError as exc:
        raise storage_error(exc, f"cannot create directory {path}") from None
    return path


__all__ = ["PRIVATE_DIR_MODE", "ensure_private_dir", "storage_error"]
