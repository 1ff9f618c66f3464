"""The size an image declares in its header, checked before the upload is stored.

A few hundred bytes can declare billions of pixels (a decompression bomb). The workers
check every image again when they decode it; this check lets the API refuse such a file
at once (413) instead of storing it and failing the job later. Only the header is read
(Pillow's ``open`` parses it without decoding pixels); an image whose header does not
fit in the bytes given is left to the workers' full check.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from reelvault.errors import PayloadTooLargeError
from reelvault.media.validate import MediaLimits

IMAGE_HEAD_BYTES = 256 * 1024
"""How much of an image upload is read before it is stored: JPEG's size marker follows
the EXIF block (up to 64 KiB each, a few of them)."""


def declared_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) as the header says, or None when the bytes do not tell."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(head)) as image:
                width, height = image.size
                return int(width), int(height)
    except Image.DecompressionBombError:
        return None if not head else _bomb_size()
    except Exception:  # truncated or unknown header: the workers decide
        return None


def _bomb_size() -> tuple[int, int]:
    # Pillow refuses to even open images past twice its own limit: larger than ours.
    side = int((2 * (Image.MAX_IMAGE_PIXELS or 0)) ** 0.5) + 1
    return side, side


def check_declared_size(head: bytes, name: str, limits: MediaLimits | None = None) -> None:
    """Raise 413 when the header declares more pixels, or a longer side, than allowed."""
    limits = limits or MediaLimits()
    size = declared_size(head)
    if size is None:
        return
    width, height = size
    if width * height > limits.max_image_pixels or max(width, height) > limits.max_image_side:
        raise PayloadTooLargeError(
            f"{name} declares {width}x{height} pixels: at most {limits.max_image_pixels} "
            f"pixels and {limits.max_image_side} on the longer side",
            param=name,
        )


__all__ = ["IMAGE_HEAD_BYTES", "check_declared_size", "declared_size"]
