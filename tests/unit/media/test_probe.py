"""probe_video on real files: ours, a still image, garbage, a truncated video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelvault.errors import UnsupportedMediaError
from reelvault.media import encode_h264, probe_video


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "v.mp4"
    frames = (np.full((48, 64, 3), i * 10, dtype=np.uint8) for i in range(25))
    encode_h264(frames, path, fps=25, width=64, height=48, preset="ultrafast")
    return path


def test_probe_reads_what_was_encoded(video: Path) -> None:
    info = probe_video(video)
    assert (info.width, info.height) == (64, 48)
    assert info.fps == pytest.approx(25.0)
    assert info.frame_count == 25
    assert info.duration_seconds == pytest.approx(1.0, abs=0.01)
    assert info.codec == "h264"
    assert info.pix_fmt == "yuv420p"
    assert info.has_audio is False


def test_text_file_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video at all\n" * 20)
    with pytest.raises(UnsupportedMediaError) as info:
        probe_video(path)
    assert "notes" not in str(info.value)


def test_still_image_is_not_a_video(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("RGB", (32, 32), (200, 10, 10)).save(path)
    with pytest.raises(UnsupportedMediaError, match="still image"):
        probe_video(path)


def test_truncated_video_is_unsupported(video: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(video.read_bytes()[:200])
    with pytest.raises(UnsupportedMediaError):
        probe_video(broken)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_video(tmp_path / "nope.mp4")
