"""The face check's inputs: a small upright preview, and a face count (nothing else)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError
from reelvault.media.faces import count_faces
from reelvault.media.validate import MediaLimits, load_preview

DATA = Path(__file__).parents[2] / "data"


def test_a_portrait_has_a_face_and_a_beach_yoga_pose_far_away_has_none() -> None:
    assert count_faces(load_preview(DATA / "portrait_astronaut_256.jpg", 1024)) == 1
    assert count_faces(load_preview(DATA / "fullbody_yoga_beach.jpg", 1024)) == 0
    assert count_faces(np.full((300, 400, 3), 128, dtype=np.uint8)) == 0


def test_the_preview_is_small_upright_and_checked_like_an_upload(tmp_path: Path) -> None:
    big = tmp_path / "big.jpg"
    Image.fromarray(np.full((3000, 4000, 3), 90, dtype=np.uint8)).save(big, quality=80)
    assert load_preview(big, 640).shape == (480, 640, 3)
    with pytest.raises(PayloadTooLargeError):
        load_preview(big, 640, MediaLimits(max_image_pixels=1_000_000))
    broken = tmp_path / "broken.png"
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((64, 64, 3), dtype=np.uint8)).save(buffer, "PNG")
    broken.write_bytes(buffer.getvalue()[:60])
    with pytest.raises(UnsupportedMediaError):
        load_preview(broken, 640)
