"""WebM/VP9 output: a file browsers play, with the frames, size and duration asked for."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from reelvault.errors import EngineError, ValidationError
from reelvault.media.encode_webm import encode_webm


def _frames(count: int, width: int = 160, height: int = 96) -> list[np.ndarray]:
    xs = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    out = []
    for index in range(count):
        frame = np.zeros((height, width, 3), np.float32) + xs
        frame[:, :, 1] = (index * 10) % 256  # green changes over time
        out.append(frame.astype(np.uint8))
    return out


def test_webm_is_vp9_in_matroska_and_decodes_back(tmp_path: Path) -> None:
    frames = _frames(24)
    result = encode_webm(frames, tmp_path / "out.webm", fps=12, width=160, height=96)
    assert result.frame_count == 24 and result.duration_seconds == pytest.approx(2.0)
    # What Chromium checks: EBML magic with the "webm" doctype, VP9 video, yuv420p.
    head = (tmp_path / "out.webm").read_bytes()[:64]
    assert head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head
    with av.open(str(tmp_path / "out.webm")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "vp9"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.width, stream.height) == (160, 96)
        assert float(container.duration or 0) / av.time_base == pytest.approx(2.0, abs=0.1)
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    assert len(decoded) == 24
    # The content survives: the green level follows the frames, the ramp stays a ramp.
    assert abs(float(decoded[5][:, :, 1].mean()) - 50) < 6
    assert decoded[0][:, 150, 0].mean() > decoded[0][:, 10, 0].mean() + 150


def test_odd_size_and_no_frames_fail_cleanly(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        encode_webm(_frames(2, 161, 96), tmp_path / "odd.webm", fps=12, width=161, height=96)
    with pytest.raises(EngineError):
        encode_webm([], tmp_path / "empty.webm", fps=12, width=160, height=96)
    assert not (tmp_path / "empty.webm").exists()
