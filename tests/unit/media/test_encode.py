"""encode_h264: real encoding with libx264, decoded back with PyAV."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from reelvault.errors import EngineError, JobCancelledError, ValidationError
from reelvault.media import encode_h264

W, H = 96, 64


def gradient_frames(count: int, width: int = W, height: int = H) -> Iterator[np.ndarray]:
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    for i in range(count):
        frame = np.empty((height, width, 3), dtype=np.uint8)
        frame[..., 0] = (x + i * 7) % 256
        frame[..., 1] = np.broadcast_to(y, (height, width))
        frame[..., 2] = 128
        yield frame


def top_level_boxes(path: Path) -> list[str]:
    data = path.read_bytes()
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size == 0:
            break
        offset += size
    return boxes


def test_encoded_file_plays_back_as_asked(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    seen: list[int] = []
    result = encode_h264(
        gradient_frames(30),
        path,
        fps=15,
        width=W,
        height=H,
        preset="ultrafast",
        on_frame=seen.append,
    )
    assert result.path == path
    assert result.frame_count == 30
    assert result.duration_seconds == pytest.approx(2.0)
    assert result.bytes == path.stat().st_size > 0
    assert seen == list(range(1, 31))

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.codec_context.width, stream.codec_context.height) == (W, H)
        assert stream.average_rate == Fraction(15)
        assert float(stream.duration * stream.time_base) == pytest.approx(2.0, abs=1e-6)
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    assert len(decoded) == 30
    # Lossy, but close to what went in.
    first = next(gradient_frames(1))
    assert np.abs(decoded[0].astype(int) - first.astype(int)).mean() < 6


def test_moov_comes_before_mdat(tmp_path: Path) -> None:
    path = tmp_path / "fast.mp4"
    encode_h264(gradient_frames(12), path, fps=12, width=W, height=H, preset="ultrafast")
    boxes = top_level_boxes(path)
    assert "moov" in boxes and "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat")


def test_profile_high_and_bt709(tmp_path: Path) -> None:
    # With the default preset x264 uses High-profile tools (an "ultrafast" stream would
    # be Constrained Baseline: the profile option is a ceiling, not a floor).
    path = tmp_path / "p.mp4"
    encode_h264(gradient_frames(4), path, fps=24, width=W, height=H)
    with av.open(str(path)) as container:
        context = container.streams.video[0].codec_context
        assert context.profile == "High"
        assert int(context.colorspace) == 1


@pytest.mark.parametrize(("width", "height"), [(95, 64), (96, 63), (0, 64)])
def test_odd_or_empty_size_is_refused(tmp_path: Path, width: int, height: int) -> None:
    path = tmp_path / "odd.mp4"
    with pytest.raises(ValidationError, match="even"):
        encode_h264(gradient_frames(2), path, fps=24, width=width, height=height)
    assert not path.exists()


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((H, W + 2, 3), dtype=np.uint8),
        np.zeros((H, W, 4), dtype=np.uint8),
        np.zeros((H, W, 3), dtype=np.float32),
    ],
    ids=["width", "channels", "dtype"],
)
def test_bad_frame_raises_and_leaves_no_file(tmp_path: Path, bad: np.ndarray) -> None:
    path = tmp_path / "bad.mp4"

    def frames() -> Iterator[np.ndarray]:
        yield from gradient_frames(3)
        yield bad

    with pytest.raises(EngineError, match="frame 3"):
        encode_h264(frames(), path, fps=24, width=W, height=H, preset="ultrafast")
    assert not path.exists()


def test_no_frames_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    with pytest.raises(EngineError, match="no frames"):
        encode_h264(iter([]), path, fps=24, width=W, height=H)
    assert not path.exists()


def test_cancel_from_callback_removes_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "cancel.mp4"

    def on_frame(n: int) -> None:
        if n == 5:
            raise JobCancelledError("cancelled")

    with pytest.raises(JobCancelledError):
        encode_h264(gradient_frames(20), path, fps=24, width=W, height=H, on_frame=on_frame)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
