"""The upload parsers themselves, on the hostile corpus and on generated mutations.

The API tests (``test_hostile_uploads.py``) send the corpus through the routes; a job
route's fake engine never decodes the file, so the validators the workers run
(:func:`load_image`, :func:`validate_video`, :func:`probe_video`) and the frame decoder
are called here on every sample: each file is accepted or refused with a 4xx-class
error, never anything else (which a worker would report as an internal failure).
Hypothesis then mutates valid files (bytes flipped, box fields overwritten, cut short).
"""

from __future__ import annotations

import struct
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelvault.errors import ReelvaultError
from reelvault.media.decode import iter_video_frames
from reelvault.media.mp4_tables import declared_counts
from reelvault.media.probe import probe_video
from reelvault.media.sniff import SNIFF_BYTES, sniff
from reelvault.media.validate import load_image, validate_video
from tests.security.hostile_corpus import (
    base_jpeg,
    base_mp4,
    base_png,
    base_webp,
    boxes,
    build_corpus,
    find_box,
)

CORPUS = {sample.name: sample for sample in build_corpus()}
_MP4_FIELDS = [  # (box path, payload offset) of the size, count and time fields
    ("moov/mvhd", 12),
    ("moov/mvhd", 16),
    ("moov/trak/tkhd", 20),
    ("moov/trak/tkhd", 76),
    ("moov/trak/mdia/mdhd", 12),
    ("moov/trak/mdia/mdhd", 16),
    ("moov/trak/mdia/minf/stbl/stsd", 4),
    ("moov/trak/mdia/minf/stbl/stts", 4),
    ("moov/trak/mdia/minf/stbl/stts", 8),
    ("moov/trak/mdia/minf/stbl/stsz", 8),
    ("moov/trak/mdia/minf/stbl/stsc", 4),
    ("moov/trak/mdia/minf/stbl/stco", 8),
]


def _refused_clearly(exc: ReelvaultError) -> None:
    assert 400 <= exc.http_status < 500, f"{type(exc).__name__}: {exc}"
    assert exc.code and str(exc)


def _check(call: object, path: Path) -> None:
    try:
        call(path)  # type: ignore[operator]
    except ReelvaultError as exc:
        _refused_clearly(exc)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_validators_accept_or_refuse_with_a_4xx(name: str, tmp_path: Path) -> None:
    sample = CORPUS[name]
    path = tmp_path / "upload"
    path.write_bytes(sample.data)
    if sample.kind == "image":
        _check(load_image, path)
        return
    _check(validate_video, path)
    _check(probe_video, path)
    # The decoder the dance engine reads the reference with: the first frames only.
    _check(lambda p: list(islice(iter_video_frames(p), 4)), path)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2 * SNIFF_BYTES))
def test_sniff_reads_only_the_head_and_never_fails(data: bytes) -> None:
    found = sniff(data[:SNIFF_BYTES])
    assert found is None or found.kind in ("image", "video", "motion")
    assert sniff(data[:SNIFF_BYTES] + b"\x00" * 16) == found or len(data) < SNIFF_BYTES


_IMAGES = {"jpeg": base_jpeg, "png": base_png, "webp": base_webp}


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(sorted(_IMAGES)),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(1, 10**6),
)
def test_mutated_images_are_loaded_or_refused_with_a_4xx(
    tmp_path: Path, kind: str, flips: list[tuple[int, int]], cut: int | None
) -> None:
    data = bytearray(_IMAGES[kind]())
    for position, value in flips:
        data[position % len(data)] = value
    path = tmp_path / "mutated"
    path.write_bytes(bytes(data[:cut]) if cut else bytes(data))
    _check(load_image, path)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(_MP4_FIELDS),
    value=st.sampled_from([0, 1, 2**31 - 1, 2**32 - 1, 7, 65535]) | st.integers(0, 2**32 - 1),
    box_size=st.none() | st.tuples(st.integers(0, 5), st.integers(0, 2**32 - 1)),
)
def test_mutated_mp4_boxes_are_validated_or_refused_with_a_4xx(
    tmp_path: Path, field: tuple[str, int], value: int, box_size: tuple[int, int] | None
) -> None:
    data = bytearray(base_mp4())
    at, _ = find_box(bytes(data), field[0])
    data[at + 8 + field[1] : at + 12 + field[1]] = struct.pack(">I", value)
    if box_size is not None:  # also lie about one box's size
        listed = list(boxes(bytes(data)))
        _, box_at, _ = listed[box_size[0] % len(listed)]
        data[box_at : box_at + 4] = struct.pack(">I", box_size[1])
    path = tmp_path / "mutated.mp4"
    path.write_bytes(bytes(data))
    _check(validate_video, path)


# What the worker-side validators answer for the samples that test a limit (the status a
# job's error carries): sizes and counts are judged from what the file really holds.
EXPECTED = {
    "png-100000x100000": 413,
    "png-9000x16": 413,
    "webp-vp8x-16777216": 413,
    "jpeg-sof-65535x65535": 413,
    "png-0x0": 415,
    "jpeg-sof-0x0": 415,
    "png-ztxt-bomb": 415,
    "png-16bit-4000x4000-bomb": 415,
    "mp4-frames-7300-at-120fps": 413,
    "mp4-seconds-61": 413,
    "mp4-side-17x4097": 413,
    "mp4-streams-9": 422,
    "mp4-side-tiny": 422,
    "mp4-stts-delta-huge": 422,
    "mp4-no-moov": 415,
    "mp4-no-mdat": 415,
    "mp4-recursive-moov-2000": 415,
    "mp4-codec-unknown": 415,
    "mp4-stsz-constant-67m-samples": 413,
    "webm-vp8-declares-16160x16319": 413,
    # a claim in mvhd is not what is measured: the stream's own timing is
    "mp4-mvhd-duration-huge": 200,
    # an animation gives its first frame; extra compressed data is never inflated
    "apng-claims-2e31-frames": 200,
    "png-zlib-bomb-overflow-64x48": 200,
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_limits_are_judged_on_what_the_file_holds(name: str, tmp_path: Path) -> None:
    sample = CORPUS[name]
    path = tmp_path / "upload"
    path.write_bytes(sample.data)
    validate = load_image if sample.kind == "image" else validate_video
    try:
        validate(path)
        status = 200
    except ReelvaultError as exc:
        status = exc.http_status
    assert status == EXPECTED[name]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=512), st.integers(0, 2**32 - 1))
def test_the_sample_table_reader_reads_any_bytes(tmp_path: Path, tail: bytes, size: int) -> None:
    mp4 = base_mp4()
    moov_at, _ = find_box(mp4, "moov")
    path = tmp_path / "any.mp4"
    path.write_bytes(mp4[: moov_at + 8] + struct.pack(">I", size) + tail)
    try:
        counts = declared_counts(path)
    except ReelvaultError as exc:
        _refused_clearly(exc)
    else:
        assert all(0 <= count < 2**32 for count in counts)
