"""Streaming search for known strings (stored prompts, planted markers) in files of any size.

The privacy audit looks for whole texts, not a prefix of them, in every file text can land
in: a database page, a WAL frame, a log line, an stderr capture, media. Files are read in
chunks (a video is never read whole) and each chunk carries the end of the one before it,
as long as the longest needle minus one byte, so a needle cut by a chunk border is found.

A text can be stored in more than one spelling: as UTF-8, and inside JSON with its quotes,
backslashes and non-ASCII letters escaped (``json.dumps`` does that by default). The
search looks for each of those forms.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

DEFAULT_CHUNK = 8 * 1024 * 1024


def text_forms(text: str) -> frozenset[bytes]:
    """The byte spellings ``text`` may be stored in: UTF-8, and JSON-escaped (ASCII-only
    and not) as a string inside a JSON document."""
    forms = {
        text.encode("utf-8"),
        json.dumps(text)[1:-1].encode("ascii"),
        json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8"),
    }
    return frozenset(form for form in forms if form)


class Needles:
    """Named texts to look for; a name is what a finding reports (never the text itself)."""

    def __init__(self, texts: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = texts.items() if isinstance(texts, Mapping) else texts
        self._forms: dict[bytes, set[str]] = {}
        self._longest = 0
        self._anchors: tuple[int, dict[bytes, list[bytes]]] | None = None
        for name, text in pairs:
            self.add(name, text)

    def add(self, name: str, text: str) -> None:
        for form in text_forms(text):
            self._forms.setdefault(form, set()).add(name)
            self._longest = max(self._longest, len(form))
        self._anchors = None

    def __bool__(self) -> bool:
        return bool(self._forms)

    @property
    def longest(self) -> int:
        return self._longest

    def names_in(self, data: bytes, *, skip: frozenset[str] = frozenset()) -> set[str]:
        """Names whose text occurs in ``data`` (names in ``skip`` are not looked for)."""
        if len(data) < len(self._forms):
            return self._names_by_position(data, skip)
        found: set[str] = set()
        for form, names in self._forms.items():
            # The byte search first: it is in C, and almost every value holds no needle
            # (set arithmetic for each of thousands of forms cost more than the search).
            if form in data:
                found |= names - skip
        return found

    def _names_by_position(self, data: bytes, skip: frozenset[str]) -> set[str]:
        """:meth:`names_in` for data shorter than the number of forms (a database value
        against the prompts of a thousand jobs): each position's first bytes are looked
        up among the forms' first bytes, and only the forms that start so are compared.
        A form found anywhere starts at some position with its own first bytes: exact."""
        if self._anchors is None:
            width = min(8, min(len(form) for form in self._forms))
            anchors: dict[bytes, list[bytes]] = {}
            for form in self._forms:
                anchors.setdefault(form[:width], []).append(form)
            self._anchors = (width, anchors)
        width, anchors = self._anchors
        found: set[str] = set()
        for start in range(len(data) - width + 1):
            for form in anchors.get(data[start : start + width], ()):
                if data.startswith(form, start):
                    found |= self._forms[form] - skip
        return found

    def names_in_text(self, value: str) -> set[str]:
        return self.names_in(value.encode("utf-8", "surrogatepass"))


def chunks(
    stream: BinaryIO, *, overlap: int, chunk_size: int = DEFAULT_CHUNK
) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) pieces of ``stream``; each starts with the last ``overlap`` bytes of
    the one before, so any string up to ``overlap + 1`` bytes long lies whole in one piece."""
    if chunk_size < 1 or overlap < 0:
        raise ValueError("chunk_size must be positive and overlap not negative")
    offset = 0
    tail = b""
    while True:
        block = stream.read(chunk_size)
        if not block:
            return
        yield offset - len(tail), tail + block
        offset += len(block)
        tail = (tail + block)[-overlap:] if overlap else b""


def search_stream(
    stream: BinaryIO, needles: Needles, *, chunk_size: int = DEFAULT_CHUNK
) -> set[str]:
    """Names of the needles found anywhere in ``stream``."""
    found: set[str] = set()
    if not needles:
        return found
    overlap = max(needles.longest - 1, 0)
    for _offset, data in chunks(stream, overlap=overlap, chunk_size=chunk_size):
        found |= needles.names_in(data, skip=frozenset(found))
    return found


def search_file(path: Path, needles: Needles, *, chunk_size: int = DEFAULT_CHUNK) -> set[str]:
    with path.open("rb") as handle:
        return search_stream(handle, needles, chunk_size=chunk_size)


def search_values(values: Sequence[object], needles: Needles) -> set[str]:
    """Names found in database values (text, JSON text, bytes)."""
    found: set[str] = set()
    for value in values:
        if isinstance(value, str):
            found |= needles.names_in_text(value)
        elif isinstance(value, bytes | bytearray | memoryview):
            found |= needles.names_in(bytes(value))
        elif isinstance(value, dict | list):
            found |= needles.names_in_text(json.dumps(value))
    return found


__all__ = [
    "DEFAULT_CHUNK",
    "Needles",
    "chunks",
    "search_file",
    "search_stream",
    "search_values",
    "text_forms",
]
