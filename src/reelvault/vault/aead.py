"""Segmented streaming AES-256-GCM (in the style of Tink's streaming AEAD and age's STREAM).

Layout of one encrypted object::

    header   = b"RVLT" | version (1 byte) | segment size (u32 BE) | nonce prefix (7 bytes)
    segment  = AES-256-GCM(plaintext[i*size:(i+1)*size]) || tag (16 bytes)
    nonce_i  = nonce prefix (7) || i (u32 BE) || last-segment flag (1 byte: 0 or 1)
    aad      = header || object id (ASCII)

Every segment but the last holds exactly ``segment size`` plaintext bytes; the last holds
0..segment size bytes (an empty object is one empty final segment). The counter in the nonce
detects reordering, the last flag detects truncation, the header in the associated data binds
the parameters, and the object id binds the ciphertext to the object it was written for.

Encryption and decryption run in constant memory (two segments of buffer each). Any failure
to authenticate raises :class:`~reelvault.errors.IntegrityError`; messages never contain
plaintext or key material. Decryption yields each segment as soon as it authenticates, so a
consumer must treat an ``IntegrityError`` raised late in the stream as "discard everything".
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reelvault.errors import IntegrityError

MAGIC = b"RVLT"
VERSION = 1
KEY_SIZE = 32
TAG_SIZE = 16
NONCE_PREFIX_SIZE = 7
_HEADER = struct.Struct(">4sBI7s")
HEADER_SIZE = _HEADER.size  # 16
MIN_SEGMENT_SIZE = 16
MAX_SEGMENT_SIZE = 64 * 1024 * 1024
DEFAULT_SEGMENT_SIZE = 1 << 20
_MAX_SEGMENTS = 1 << 32

Buffer = bytes | bytearray | memoryview


class Sink(Protocol):
    """Where ciphertext goes: anything with a ``write`` that writes the whole buffer."""

    def write(self, data: Buffer, /) -> int | None: ...


@dataclass(frozen=True)
class StreamSizes:
    """Byte counts of one encryption: plaintext in, ciphertext out (header and tags included)."""

    plaintext_size: int
    ciphertext_size: int


def check_segment_size(segment_size: int) -> int:
    if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise ValueError(
            f"segment size must be between {MIN_SEGMENT_SIZE} and {MAX_SEGMENT_SIZE} bytes"
        )
    return segment_size


def ciphertext_size(plaintext_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """Stored size of ``plaintext_size`` bytes: header plus one tag per segment."""
    segments = max(1, -(-plaintext_size // segment_size))
    return HEADER_SIZE + plaintext_size + segments * TAG_SIZE


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= _MAX_SEGMENTS:
        raise ValueError("stream too long for its segment size")
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _aad(header: bytes, object_id: str) -> bytes:
    return header + object_id.encode("ascii")


def _read_full(source: BinaryIO, buf: memoryview) -> int:
    """Fill ``buf`` from ``source``; fewer bytes than ``len(buf)`` only at end of stream."""
    readinto = getattr(source, "readinto", None)
    filled = 0
    while filled < len(buf):
        if readinto is not None:
            got = readinto(buf[filled:])
            if got is None:
                raise OSError("non-blocking source returned no data")
        else:
            data = source.read(len(buf) - filled)
            got = len(data)
            buf[filled : filled + got] = data
        if not got:
            break
        filled += got
    return filled


def _segments_from_file(source: BinaryIO, size: int) -> Iterator[tuple[memoryview, bool]]:
    """Fixed-size segments of a binary file, each flagged whether it is the last."""
    current, ahead = memoryview(bytearray(size)), memoryview(bytearray(size))
    filled = _read_full(source, current)
    while True:
        if filled < size:
            yield current[:filled], True
            return
        ahead_filled = _read_full(source, ahead)
        if ahead_filled == 0:
            yield current, True
            return
        yield current, False
        current, ahead, filled = ahead, current, ahead_filled


def _segments_from_chunks(chunks: Iterable[Buffer], size: int) -> Iterator[tuple[memoryview, bool]]:
    """Re-chunk arbitrary pieces into fixed-size segments, each flagged whether it is the last.

    A segment is only known not to be last once more data arrives, so one full segment is
    held back. Whole segments inside an immutable ``bytes`` chunk are used without copying;
    everything else is copied into a private buffer (callers may reuse their buffers).
    """
    buf = bytearray(size)
    view = memoryview(buf)
    fill = 0  # bytes waiting in buf; fill == size means "a full segment is held back"
    held: memoryview | None = None  # a held-back full segment inside a bytes chunk
    for chunk in chunks:
        data = memoryview(chunk).cast("B")
        n = len(data)
        if not n:
            continue
        if held is not None:
            yield held, False
            held = None
        elif fill == size:
            yield view, False
            fill = 0
        offset = 0
        if fill:
            take = min(size - fill, n)
            view[fill : fill + take] = data[:take]
            fill += take
            offset = take
            if fill == size and offset < n:
                yield view, False
                fill = 0
        while n - offset > size:
            yield data[offset : offset + size], False
            offset += size
        rest = n - offset
        if rest == size and isinstance(chunk, bytes):
            held = data[offset:]
        elif rest:
            view[:rest] = data[offset:]
            fill = rest
    if held is not None:
        yield held, True
    else:
        yield view[:fill], True


def _begin(key: bytes, object_id: str, segment_size: int) -> tuple[bytes, bytes, bytes, AESGCM]:
    """A new object's nonce prefix, header, associated data and cipher."""
    if len(key) != KEY_SIZE:
        raise ValueError("data key must be 32 bytes")
    check_segment_size(segment_size)
    prefix = secrets.token_bytes(NONCE_PREFIX_SIZE)
    header = _HEADER.pack(MAGIC, VERSION, segment_size, prefix)
    return prefix, header, _aad(header, object_id), AESGCM(key)


def encrypt_bytes(
    data: Buffer,
    *,
    key: bytes,
    object_id: str,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
) -> bytes:
    """:func:`encrypt_stream` for data already in memory: the same layout, in one piece.

    It skips the stream's two segment-sized buffers, which dominate the cost of
    encrypting a small object (a prompt, a secret) with megabyte segments.
    """
    prefix, header, aad, cipher = _begin(key, object_id, segment_size)
    view = memoryview(data).cast("B")
    count = max(1, -(-len(view) // segment_size))
    parts = [header]
    for counter in range(count):
        segment = view[counter * segment_size : (counter + 1) * segment_size]
        parts.append(cipher.encrypt(_nonce(prefix, counter, counter == count - 1), segment, aad))
    return b"".join(parts)


def encrypt_stream(
    source: Iterable[Buffer] | BinaryIO,
    sink: Sink,
    *,
    key: bytes,
    object_id: str,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
) -> StreamSizes:
    """Encrypt ``source`` (a binary file or an iterable of byte chunks) into ``sink``."""
    prefix, header, aad, cipher = _begin(key, object_id, segment_size)
    out = memoryview(bytearray(segment_size + TAG_SIZE))
    sink.write(header)
    plain = 0
    stored = HEADER_SIZE
    if hasattr(source, "read"):
        segments = _segments_from_file(cast(BinaryIO, source), segment_size)
    else:
        segments = _segments_from_chunks(source, segment_size)
    for counter, (segment, last) in enumerate(segments):
        n = len(segment)
        written = cipher.encrypt_into(
            _nonce(prefix, counter, last), segment, aad, out[: n + TAG_SIZE]
        )
        sink.write(out[:written])
        plain += n
        stored += written
    return StreamSizes(plaintext_size=plain, ciphertext_size=stored)


class DecryptedStream(Iterator[bytes]):
    """Plaintext chunks (one per segment) of an encrypted stream, authenticated as they come.

    The header is read and checked on construction. The source is closed when the stream is
    exhausted, fails, or :meth:`close` is called (also usable as a context manager).
    """

    def __init__(self, source: BinaryIO, *, key: bytes, object_id: str) -> None:
        self._source = source
        self._closed = False
        try:
            if len(key) != KEY_SIZE:
                raise IntegrityError("data key has the wrong length")
            header = bytearray(HEADER_SIZE)
            if _read_full(source, memoryview(header)) != HEADER_SIZE:
                raise IntegrityError("encrypted object is truncated (incomplete header)")
            magic, version, segment_size, prefix = _HEADER.unpack(header)
            if magic != MAGIC:
                raise IntegrityError("not a reelvault encrypted object (bad magic)")
            if version != VERSION:
                raise IntegrityError(f"unsupported encrypted object version {version}")
            if not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
                raise IntegrityError("encrypted object header has an invalid segment size")
        except BaseException:
            self.close()
            raise
        self.segment_size: int = segment_size
        self._prefix: bytes = prefix
        self._aad = _aad(bytes(header), object_id)
        self._cipher = AESGCM(key)
        self._segments = self._read_segments()
        self._chunks: Iterator[bytes] | None = None

    def _read_segments(self) -> Iterator[tuple[memoryview, int, bool]]:
        """Raw (ciphertext, counter, last) triples, with one segment of lookahead."""
        size = self.segment_size + TAG_SIZE
        current, ahead = memoryview(bytearray(size)), memoryview(bytearray(size))
        filled = _read_full(self._source, current)
        if filled == 0:
            raise IntegrityError("encrypted object is truncated (no final segment)")
        counter = 0
        while True:
            ahead_filled = _read_full(self._source, ahead) if filled == size else 0
            last = ahead_filled == 0
            if filled < TAG_SIZE:
                raise IntegrityError("encrypted object is truncated (partial segment)")
            yield current[:filled], counter, last
            if last:
                return
            counter += 1
            current, ahead, filled = ahead, current, ahead_filled

    def _fail(self, segment: memoryview, counter: int, last: bool) -> IntegrityError:
        """Explain a failed segment: truncated, trailing data, or tampered / wrong key."""
        try:
            self._cipher.decrypt(_nonce(self._prefix, counter, not last), segment, self._aad)
        except InvalidTag:
            return IntegrityError("encrypted object failed authentication (tampered or wrong key)")
        if last:
            return IntegrityError("encrypted object is truncated (stream ends before its end)")
        return IntegrityError("encrypted object has trailing data after its final segment")

    def views(self) -> Iterator[memoryview]:
        """Plaintext segments as views into one reused buffer: each valid until the next one.

        Saves an allocation per segment when the consumer copies the data right away
        (e.g. writes it to a file).
        """
        if self._closed:
            return
        plain = memoryview(bytearray(self.segment_size))
        try:
            for segment, counter, last in self._segments:
                nonce = _nonce(self._prefix, counter, last)
                out = plain[: len(segment) - TAG_SIZE]
                try:
                    self._cipher.decrypt_into(nonce, segment, self._aad, out)
                except InvalidTag:
                    raise self._fail(segment, counter, last) from None
                if len(out):
                    yield out
        finally:
            self.close()

    def _iterate(self) -> Iterator[bytes]:
        try:
            for segment, counter, last in self._segments:
                nonce = _nonce(self._prefix, counter, last)
                try:
                    plain = self._cipher.decrypt(nonce, segment, self._aad)
                except InvalidTag:
                    raise self._fail(segment, counter, last) from None
                if plain:
                    yield plain
        finally:
            self.close()

    def __iter__(self) -> DecryptedStream:
        return self

    def __next__(self) -> bytes:
        if self._chunks is None:
            if self._closed:
                raise StopIteration
            self._chunks = self._iterate()
        return next(self._chunks)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._source.close()

    def __enter__(self) -> DecryptedStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def decrypt_stream(source: BinaryIO, *, key: bytes, object_id: str) -> DecryptedStream:
    """Open an encrypted stream for reading; see :class:`DecryptedStream`."""
    return DecryptedStream(source, key=key, object_id=object_id)


__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "HEADER_SIZE",
    "KEY_SIZE",
    "MAGIC",
    "MAX_SEGMENT_SIZE",
    "MIN_SEGMENT_SIZE",
    "TAG_SIZE",
    "VERSION",
    "DecryptedStream",
    "Sink",
    "StreamSizes",
    "check_segment_size",
    "ciphertext_size",
    "decrypt_stream",
    "encrypt_bytes",
    "encrypt_stream",
]
