"""The sample counts an MP4/QuickTime file declares, read before FFmpeg opens it.

FFmpeg's mov demuxer builds an index entry for every sample a track's tables declare,
and with a constant sample size (``stsz``) or a ``trun`` without per-sample fields it
takes the count at its word: found by fuzzing, a 653-byte file declaring 67 million
samples made ``av.open`` allocate ~860 MB, up to ~1 GB near FFmpeg's own cap. Counts
past what any upload within the limits can hold are refused here, by reading box
headers only (a few hundred reads at most for a real file).
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError

# Boxes whose children hold the sample tables (classic and fragmented files).
_CONTAINERS = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"moof", b"traf", b"mvex"}
)
# Sample-table boxes -> where their 32-bit sample or entry count is in the payload.
_COUNT_AT = {
    b"stsz": 8,  # version/flags, sample_size, sample_count
    b"stz2": 8,  # version/flags, reserved + field_size, sample_count
    b"stts": 4,
    b"ctts": 4,
    b"stsc": 4,
    b"stco": 4,
    b"co64": 4,
    b"stss": 4,
    b"trun": 4,
}
_MAX_BOXES = 100_000
_MAX_DEPTH = 16


def _header(handle: BinaryIO, at: int, end: int) -> tuple[bytes, int, int] | None:
    """(type, header length, box size) of the box at ``at``, or None past the end."""
    handle.seek(at)
    raw = handle.read(16)
    if len(raw) < 8:
        return None
    size, kind = struct.unpack(">I4s", raw[:8])
    if size == 1:
        if len(raw) < 16:
            return None
        return kind, 16, struct.unpack(">Q", raw[8:])[0]
    return kind, 8, end - at if size == 0 else size


def declared_counts(path: Path) -> list[int]:
    """Every sample/entry count in the file's sample tables and track runs."""
    with Path(path).open("rb") as handle:
        return declared_counts_in(handle)


def declared_counts_in(handle: BinaryIO) -> list[int]:
    """:func:`declared_counts` of an open file (an upload not yet stored has no name)."""
    counts: list[int] = []
    visited = 0
    stack = [(0, handle.seek(0, 2), 0)]
    while stack:
        at, end, depth = stack.pop()
        while at + 8 <= end:
            visited += 1
            if visited > _MAX_BOXES:
                raise UnsupportedMediaError(
                    f"the video has more than {_MAX_BOXES} boxes in its structure"
                )
            found = _header(handle, at, end)
            if found is None:
                break
            kind, header, size = found
            if size < header:
                break  # a malformed size: FFmpeg judges the rest
            if kind in _CONTAINERS and depth < _MAX_DEPTH:
                stack.append((at + header, min(end, at + size), depth + 1))
            elif kind in _COUNT_AT:
                handle.seek(at + header + _COUNT_AT[kind])
                raw = handle.read(4)
                if len(raw) == 4:
                    counts.append(struct.unpack(">I", raw)[0])
            at += size
    return counts


def check_sample_tables(path: Path | BinaryIO, max_samples: int) -> None:
    """Refuse a file declaring more than ``max_samples`` samples or entries in one table.

    ``path`` may be an open file (left open, at an unknown position)."""
    if isinstance(path, (str, Path)):
        counts = declared_counts(Path(path))
    else:
        counts = declared_counts_in(path)
    largest = max(counts, default=0)
    if largest > max_samples:
        raise PayloadTooLargeError(
            f"the video declares {largest} samples in one track, more than the limit of "
            f"{max_samples}"
        )


__all__ = ["check_sample_tables", "declared_counts", "declared_counts_in"]
