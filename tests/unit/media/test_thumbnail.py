"""make_thumbnail: scaled, no metadata, bytes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from reelvault.errors import ValidationError
from reelvault.media import make_thumbnail


def frame(width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize(("fmt", "pil_format"), [("webp", "WEBP"), ("jpeg", "JPEG")])
def test_thumbnail_is_scaled_and_bare(fmt: str, pil_format: str) -> None:
    data = make_thumbnail(frame(1280, 720), max_side=320, fmt=fmt)  # type: ignore[arg-type]
    image = Image.open(io.BytesIO(data))
    assert image.format == pil_format
    assert image.size == (320, 180)
    assert not image.getexif()
    assert "icc_profile" not in image.info
    assert "exif" not in image.info
    assert "xmp" not in image.info


def test_small_frames_are_not_enlarged() -> None:
    image = Image.open(io.BytesIO(make_thumbnail(frame(100, 60), max_side=640)))
    assert image.size == (100, 60)


def test_portrait_uses_the_longer_side() -> None:
    image = Image.open(io.BytesIO(make_thumbnail(frame(360, 640), max_side=320)))
    assert image.size == (180, 320)


def test_bad_frame_is_refused() -> None:
    with pytest.raises(ValidationError):
        make_thumbnail(np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(ValidationError):
        make_thumbnail(np.zeros((10, 10, 3), dtype=np.float32))  # type: ignore[arg-type]
