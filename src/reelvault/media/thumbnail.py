"""Still images of a video for listings: small, without metadata, as bytes."""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from reelvault.errors import ValidationError

Frame = npt.NDArray[np.uint8]


def make_thumbnail(
    frame: Frame, *, max_side: int = 640, fmt: Literal["webp", "jpeg"] = "webp"
) -> bytes:
    """Encode ``frame`` (RGB uint8, ``(h, w, 3)``) scaled so its longer side is at most
    ``max_side`` (never enlarged), as WebP or JPEG bytes with no EXIF, XMP or ICC data.

    Returns bytes so the caller can encrypt them without touching the disk.
    """
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValidationError("a thumbnail needs an RGB frame of shape (height, width, 3)")
    if frame.dtype != np.uint8:
        raise ValidationError(f"a thumbnail needs a uint8 frame, not {frame.dtype}")
    if max_side < 1:
        raise ValidationError(f"max_side {max_side} must be at least 1")
    if fmt not in ("webp", "jpeg"):
        raise ValidationError(f"unknown thumbnail format {fmt!r} (webp or jpeg)")

    image = Image.fromarray(np.ascontiguousarray(frame))
    height, width = frame.shape[:2]
    scale = max_side / max(width, height)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)

    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, format="WEBP", quality=82, method=4)
    else:
        image.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


__all__ = ["make_thumbnail"]
