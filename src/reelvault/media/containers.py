"""Opening a media file someone sent us, for reading.

PyAV decodes container and stream metadata (titles, handler names, tags) as UTF-8 and by
default raises :class:`UnicodeDecodeError` — not an :class:`av.FFmpegError` — when a
file's metadata is not: every caller would have to know that. Here undecodable bytes
become U+FFFD, and everything else about the file is judged by the callers as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import av
from av.container import InputContainer


def open_input(path: Path | BinaryIO) -> InputContainer:
    """``path`` (or an open binary file) opened for reading, its metadata decoded leniently."""
    source = str(path) if isinstance(path, Path) else path
    return av.open(source, mode="r", metadata_errors="replace")


__all__ = ["open_input"]
