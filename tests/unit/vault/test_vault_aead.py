"""Segmented streaming AEAD: round trips, chunking, and every tamper case."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import struct
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelvault.errors import IntegrityError
from reelvault.vault import aead
from reelvault.vault.aead import HEADER_SIZE, TAG_SIZE, decrypt_stream, encrypt_stream
from reelvault.vault.vault import Vault

SEG = 4096
KEY = bytes(range(32))
OID = "0123456789abcdef0123456789abcdef"


def encrypt(
    data: bytes | list[aead.Buffer], *, key: bytes = KEY, oid: str = OID, seg: int = SEG
) -> bytes:
    sink = io.BytesIO()
    chunks: list[aead.Buffer] = [data] if isinstance(data, bytes) else data
    sizes = encrypt_stream(chunks, sink, key=key, object_id=oid, segment_size=seg)
    out = sink.getvalue()
    assert sizes.ciphertext_size == len(out)
    assert sizes.plaintext_size == sum(len(chunk) for chunk in chunks)
    assert len(out) == aead.ciphertext_size(sizes.plaintext_size, seg)
    return out


def decrypt(blob: bytes, *, key: bytes = KEY, oid: str = OID) -> bytes:
    return b"".join(decrypt_stream(io.BytesIO(blob), key=key, object_id=oid))


def enc_segment(blob: bytes, index: int, seg: int = SEG) -> tuple[int, int]:
    start = HEADER_SIZE + index * (seg + TAG_SIZE)
    return start, min(start + seg + TAG_SIZE, len(blob))


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG, 3 * SEG + 7])
def test_round_trip_sizes(size: int) -> None:
    data = os.urandom(size)
    blob = encrypt(data)
    assert decrypt(blob) == data
    segments = max(1, -(-size // SEG))
    assert len(blob) == HEADER_SIZE + size + segments * TAG_SIZE


def test_empty_is_one_empty_final_segment() -> None:
    blob = encrypt(b"")
    assert len(blob) == HEADER_SIZE + TAG_SIZE
    assert list(decrypt_stream(io.BytesIO(blob), key=KEY, object_id=OID)) == []


def test_header_layout() -> None:
    blob = encrypt(b"x")
    magic, version, segment_size = struct.unpack(">4sBI", blob[:9])
    assert (magic, version, segment_size) == (b"RVLT", 1, SEG)
    assert encrypt(b"x")[9:16] != blob[9:16]  # random nonce prefix per object


def test_encrypts_from_a_file_object() -> None:
    data = os.urandom(2 * SEG + 5)
    sink = io.BytesIO()
    encrypt_stream(io.BytesIO(data), sink, key=KEY, object_id=OID, segment_size=SEG)
    assert decrypt(sink.getvalue()) == data


def test_yields_one_chunk_per_segment() -> None:
    blob = encrypt(os.urandom(2 * SEG + 1))
    assert [len(c) for c in decrypt_stream(io.BytesIO(blob), key=KEY, object_id=OID)] == [
        SEG,
        SEG,
        1,
    ]


def test_caller_may_reuse_its_buffer() -> None:
    buf = bytearray(SEG)
    expected = b""

    def chunks() -> Iterator[bytearray]:
        nonlocal expected
        for i in range(5):
            buf[:] = bytes([i]) * SEG
            expected += bytes(buf)
            yield buf

    sink = io.BytesIO()
    encrypt_stream(chunks(), sink, key=KEY, object_id=OID, segment_size=SEG)
    assert decrypt(sink.getvalue()) == expected


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=4 * SEG + 10),
    cuts=st.lists(st.integers(min_value=0, max_value=4 * SEG + 10), max_size=12),
    kinds=st.lists(st.sampled_from(["bytes", "bytearray", "memoryview"]), min_size=1),
)
def test_any_chunking_round_trips(data: bytes, cuts: list[int], kinds: list[str]) -> None:
    bounds = sorted({0, len(data), *(min(c, len(data)) for c in cuts)})
    chunks: list[aead.Buffer] = []
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        piece = data[a:b]
        kind = kinds[i % len(kinds)]
        chunks.append(
            bytearray(piece)
            if kind == "bytearray"
            else memoryview(piece)
            if kind == "memoryview"
            else piece
        )
    chunks.insert(len(chunks) // 2, b"")  # empty chunks are ignored
    blob = encrypt(chunks)
    assert decrypt(blob) == data
    assert blob[HEADER_SIZE:] != data  # never stored in the clear (random key stream)


@settings(max_examples=25, deadline=None)
@given(size=st.integers(min_value=0, max_value=200_000), seg=st.sampled_from([16, 100, 4096]))
def test_sizes_and_segment_sizes(size: int, seg: int) -> None:
    data = os.urandom(size)
    assert decrypt(encrypt(data, seg=seg)) == data


# --- tampering ------------------------------------------------------------------------


def flip(blob: bytes, index: int, bit: int = 0) -> bytes:
    mutable = bytearray(blob)
    mutable[index] ^= 1 << bit
    return bytes(mutable)


BLOB = encrypt(os.urandom(3 * SEG + 100))  # 4 segments: 3 full + 1 short


@pytest.mark.parametrize("index", range(HEADER_SIZE))
def test_flipped_bit_in_header(index: int) -> None:
    with pytest.raises(IntegrityError):
        decrypt(flip(BLOB, index))


@pytest.mark.parametrize("segment", range(4))
def test_flipped_bit_in_segment_body(segment: int) -> None:
    start, _end = enc_segment(BLOB, segment)
    with pytest.raises(IntegrityError, match="authentication"):
        decrypt(flip(BLOB, start + 10, 3))


@pytest.mark.parametrize("segment", range(4))
def test_flipped_bit_in_tag(segment: int) -> None:
    _start, end = enc_segment(BLOB, segment)
    with pytest.raises(IntegrityError):
        decrypt(flip(BLOB, end - 1, 7))


def test_truncated_at_segment_boundary() -> None:
    start, _end = enc_segment(BLOB, 3)
    with pytest.raises(IntegrityError, match="truncated"):
        decrypt(BLOB[:start])


def test_truncated_at_boundary_of_exact_multiple() -> None:
    blob = encrypt(os.urandom(2 * SEG))
    start, _end = enc_segment(blob, 1)
    with pytest.raises(IntegrityError, match="truncated"):
        decrypt(blob[:start])


@pytest.mark.parametrize("cut", [1, 15, 16, 17, SEG // 2])
def test_truncated_mid_segment(cut: int) -> None:
    start, _end = enc_segment(BLOB, 1)
    with pytest.raises(IntegrityError):
        decrypt(BLOB[: start + cut])


@pytest.mark.parametrize("length", [0, 3, HEADER_SIZE - 1, HEADER_SIZE])
def test_truncated_header_or_no_segment(length: int) -> None:
    with pytest.raises(IntegrityError, match="truncated"):
        decrypt(BLOB[:length])


def test_swapped_segments() -> None:
    a0, a1 = enc_segment(BLOB, 0)
    b0, b1 = enc_segment(BLOB, 1)
    swapped = BLOB[:a0] + BLOB[b0:b1] + BLOB[a0:a1] + BLOB[b1:]
    assert len(swapped) == len(BLOB)
    with pytest.raises(IntegrityError):
        decrypt(swapped)


def test_duplicated_segment() -> None:
    a0, a1 = enc_segment(BLOB, 0)
    with pytest.raises(IntegrityError):
        decrypt(BLOB[:a1] + BLOB[a0:])


@pytest.mark.parametrize("garbage", [b"\x00", b"x" * 100, os.urandom(SEG + TAG_SIZE)])
def test_trailing_garbage(garbage: bytes) -> None:
    with pytest.raises(IntegrityError):
        decrypt(BLOB + garbage)


def test_trailing_data_after_full_final_segment() -> None:
    blob = encrypt(os.urandom(2 * SEG))
    with pytest.raises(IntegrityError, match="trailing"):
        decrypt(blob + os.urandom(40))


def test_wrong_magic_and_version() -> None:
    with pytest.raises(IntegrityError, match="magic"):
        decrypt(b"XXXX" + BLOB[4:])
    with pytest.raises(IntegrityError, match="version"):
        decrypt(BLOB[:4] + b"\x02" + BLOB[5:])


def test_wrong_key() -> None:
    with pytest.raises(IntegrityError):
        decrypt(BLOB, key=bytes(32))


def test_other_object_id() -> None:
    with pytest.raises(IntegrityError):
        decrypt(BLOB, oid="f" * 32)


def test_error_messages_carry_no_content() -> None:
    data = b"SECRET PROMPT" * 500
    blob = encrypt(data)
    with pytest.raises(IntegrityError) as info:
        decrypt(flip(blob, HEADER_SIZE + 5))
    assert "SECRET" not in str(info.value)
    assert "SECRET" not in repr(info.value)


def test_close_before_reading_closes_source() -> None:
    source = io.BytesIO(BLOB)
    stream = decrypt_stream(source, key=KEY, object_id=OID)
    stream.close()
    assert source.closed
    assert list(stream) == []


# --- a large stream, in constant memory ---------------------------------------------------


@pytest.mark.slow
def test_100_mb_round_trip_in_constant_memory(
    tmp_path: Path, make_vault: Callable[..., Vault]
) -> None:
    seg = 1 << 20
    vault = make_vault(tmp_path, segment_size=seg)
    total = 100 * 1000 * 1000
    block = os.urandom(1 << 16)
    written = hashlib.sha256()

    def chunks() -> Iterator[bytes]:
        sent = 0
        i = 0
        while sent < total:
            piece = (block[i % 251 :] + block[: i % 251])[: min(len(block) + 1000, total - sent)]
            piece = piece + bytes(min(1000, total - sent - len(piece)))  # odd chunk sizes
            written.update(piece)
            sent += len(piece)
            i += 1
            yield piece

    tracemalloc.start()
    try:
        stored = vault.put_stream(chunks())
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read = hashlib.sha256()
        for chunk in vault.open_stream(stored.object_id):
            read.update(chunk)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.plaintext_size == total
    assert read.digest() == written.digest()
    # Two segment buffers each way, plus the chunk being yielded and the caller's last one.
    assert put_peak < 5 * seg, put_peak
    assert get_peak < 5 * seg, get_peak
