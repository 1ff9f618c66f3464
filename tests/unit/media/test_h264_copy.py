"""An extension's source opens the new file bit for bit, where the stream allows it.

encode_h264(lead=...) copies the source's packets when its own encoder would write the
same stream, and decodes and re-encodes them otherwise: both files must play as one
video with the source's frames first.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from reelvault.media import encode_h264
from reelvault.media.h264_copy import avcc_parameter_sets, parameter_sets, to_annexb
from tests.unit.media.test_encode import gradient_frames

W, H, FPS = 96, 64, 12


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def video_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(packet) for packet in container.demux(video=0) if packet.size]


def mean_step(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def test_a_source_from_the_same_encoder_is_copied_packet_for_packet(tmp_path: Path) -> None:
    source = encode_h264(gradient_frames(20), tmp_path / "source.mp4", fps=FPS, width=W, height=H)
    new_part = list(gradient_frames(40))[20:]
    extended = encode_h264(
        iter(new_part), tmp_path / "extended.mp4", fps=FPS, width=W, height=H, lead=source.path
    )
    assert extended.copied_frames == 20
    assert extended.frame_count == 40
    assert extended.duration_seconds == 40 / FPS
    # the source's compressed frames, byte for byte, then the new ones
    assert video_packets(extended.path)[:20] == video_packets(source.path)
    before, after = decoded(source.path), decoded(extended.path)
    assert len(after) == 40
    assert all(np.array_equal(a, b) for a, b in zip(before, after[:20], strict=True))
    # the new part is the frames handed in (as an encoding of them)
    assert max(mean_step(a, b) for a, b in zip(new_part, after[20:], strict=True)) < 4
    with av.open(str(extended.path)) as container:
        stream = container.streams.video[0]
        assert stream.frames == 40
        assert float(stream.duration * stream.time_base) == 40 / FPS


def test_a_source_from_another_encoder_is_decoded_and_encoded_again(tmp_path: Path) -> None:
    # Baseline profile: other parameter sets than the server's High profile stream.
    source = tmp_path / "baseline.mp4"
    with av.open(str(source), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"profile": "baseline"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for index, frame in enumerate(gradient_frames(20)):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video_frame.pts, video_frame.time_base = index, Fraction(1, FPS)
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    extended = encode_h264(
        gradient_frames(10), tmp_path / "extended.mp4", fps=FPS, width=W, height=H, lead=source
    )
    assert extended.copied_frames == 0
    assert extended.frame_count == 30
    before, after = decoded(source), decoded(extended.path)
    assert len(after) == 30
    assert max(mean_step(a, b) for a, b in zip(before, after[:20], strict=True)) < 4


def test_a_source_of_another_size_is_scaled_not_copied(tmp_path: Path) -> None:
    source = encode_h264(
        gradient_frames(8, 128, 96), tmp_path / "big.mp4", fps=FPS, width=128, height=96
    )
    extended = encode_h264(
        gradient_frames(4), tmp_path / "extended.mp4", fps=FPS, width=W, height=H, lead=source.path
    )
    assert extended.copied_frames == 0
    assert extended.frame_count == 12
    assert decoded(extended.path)[0].shape == (H, W, 3)


def test_a_source_at_another_frame_rate_is_not_copied(tmp_path: Path) -> None:
    source = encode_h264(gradient_frames(10), tmp_path / "25fps.mp4", fps=25, width=W, height=H)
    extended = encode_h264(
        gradient_frames(4), tmp_path / "extended.mp4", fps=FPS, width=W, height=H, lead=source.path
    )
    # 25 fps timestamps are not on a 12 fps grid: copying them would change the timing
    assert extended.copied_frames == 0
    assert extended.frame_count == 14


nal_units = st.lists(
    st.binary(min_size=1, max_size=40).filter(lambda unit: b"\x00\x00" not in unit and unit[-1]),
    min_size=1,
    max_size=6,
)


@given(nal_units, st.sampled_from([1, 2, 4]))
def test_length_prefixed_samples_become_the_same_units_behind_start_codes(
    units: list[bytes], length_size: int
) -> None:
    sample = b"".join(len(unit).to_bytes(length_size, "big") + unit for unit in units)
    if any(len(unit) >= 256**length_size for unit in units):
        return
    assert parameter_sets(to_annexb(sample, length_size)) == units


@given(nal_units, nal_units)
def test_an_avcc_record_gives_its_sequence_and_picture_parameter_sets(
    sps: list[bytes], pps: list[bytes]
) -> None:
    record = bytes([1, 100, 0, 31, 0xFF, 0xE0 | len(sps)])
    record += b"".join(len(unit).to_bytes(2, "big") + unit for unit in sps)
    record += bytes([len(pps)]) + b"".join(len(unit).to_bytes(2, "big") + unit for unit in pps)
    assert avcc_parameter_sets(record) == (4, sps + pps)
    assert avcc_parameter_sets(record[:-1]) is None  # cut short: not a record
