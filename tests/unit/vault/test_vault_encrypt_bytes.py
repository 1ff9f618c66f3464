"""``aead.encrypt_bytes`` (the in-memory twin of ``encrypt_stream``) and ``Vault.ids_for_batch``."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelvault.errors import IntegrityError
from reelvault.vault import _fs, aead
from reelvault.vault.aead import MIN_SEGMENT_SIZE, ciphertext_size, decrypt_stream, encrypt_bytes
from reelvault.vault.vault import Vault

KEY = bytes(range(32))
OID = "0123456789abcdef0123456789abcdef"
SEG = 32


def decrypt(blob: bytes, *, key: bytes = KEY, oid: str = OID) -> bytes:
    return b"".join(decrypt_stream(io.BytesIO(blob), key=key, object_id=oid))


@settings(max_examples=80, deadline=None)
@given(
    seg=st.integers(min_value=MIN_SEGMENT_SIZE, max_value=64),
    data=st.data(),
)
def test_round_trip_and_size(seg: int, data: st.DataObject) -> None:
    plain = data.draw(st.binary(min_size=0, max_size=5 * seg + 3))
    blob = encrypt_bytes(plain, key=KEY, object_id=OID, segment_size=seg)
    assert len(blob) == ciphertext_size(len(plain), seg)
    assert decrypt(blob) == plain


@pytest.mark.parametrize("size", [0, SEG - 1, SEG, SEG + 1, 2 * SEG])
def test_segment_boundaries_match_encrypt_stream(size: int) -> None:
    plain = os.urandom(size)
    blob = encrypt_bytes(bytearray(plain), key=KEY, object_id=OID, segment_size=SEG)
    sink = io.BytesIO()
    aead.encrypt_stream([plain], sink, key=KEY, object_id=OID, segment_size=SEG)
    # Same layout: same length, same header up to the random nonce prefix.
    assert len(blob) == len(sink.getvalue()) == ciphertext_size(size, SEG)
    assert blob[:9] == sink.getvalue()[:9]
    assert decrypt(blob) == plain


@pytest.mark.parametrize("position", [0, 5, aead.HEADER_SIZE, aead.HEADER_SIZE + SEG + 3, -1])
def test_flipped_byte_is_detected(position: int) -> None:
    blob = bytearray(
        encrypt_bytes(os.urandom(2 * SEG + 5), key=KEY, object_id=OID, segment_size=SEG)
    )
    blob[position] ^= 0x01
    with pytest.raises(IntegrityError):
        decrypt(bytes(blob))


def test_truncated_at_segment_boundary_is_detected() -> None:
    blob = encrypt_bytes(os.urandom(2 * SEG), key=KEY, object_id=OID, segment_size=SEG)
    with pytest.raises(IntegrityError):
        decrypt(blob[: aead.HEADER_SIZE + SEG + aead.TAG_SIZE])


def test_wrong_object_id_is_detected() -> None:
    blob = encrypt_bytes(b"a secret prompt", key=KEY, object_id=OID, segment_size=SEG)
    with pytest.raises(IntegrityError):
        decrypt(blob, oid="f" * 32)


def test_wrong_key_is_detected() -> None:
    blob = encrypt_bytes(b"a secret prompt", key=KEY, object_id=OID, segment_size=SEG)
    with pytest.raises(IntegrityError):
        decrypt(blob, key=bytes(32))


@pytest.mark.parametrize("count", [1, 2, 17, 200])
def test_batch_ids_are_unique_well_formed_and_share_a_shard(vault: Vault, count: int) -> None:
    ids = vault.ids_for_batch(count)
    assert len(ids) == count == len(set(ids))
    assert all(_fs.is_object_id(oid) for oid in ids)
    assert {oid[:2] for oid in ids} == {ids[0][:2]}


def test_empty_batch(vault: Vault) -> None:
    assert vault.ids_for_batch(0) == []


def test_batches_spread_over_shards(vault: Vault) -> None:
    prefixes = {vault.ids_for_batch(3)[0][:2] for _ in range(50)}
    assert len(prefixes) > 1
