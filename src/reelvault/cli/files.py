"""Writing what the CLI hands over: personal data goes to files only this user can read."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def write_private(path: Path, chunks: Iterable[bytes]) -> int:
    """Write an export (personal data, decrypted) to ``path``, readable by this user only."""
    total = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            total += len(chunk)
    return total


__all__ = ["write_private"]
