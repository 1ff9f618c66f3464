"""One still picture of a person from a short video: the sharpest of a few early frames.

Used where a video stands for a photo (a character made from a video, used by an
image→video or dance job). Frames are decoded in memory from an open file and only the
chosen one is returned; nothing about the person (face box, landmarks) is computed here.
"""

from __future__ import annotations

import io
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image

from reelvault.media.decode import Frame, iter_video_frames

LOOK_SECONDS = 4.0  # as hosted character APIs do: the first seconds show the person
SAMPLES_PER_SECOND = 2


def sharpness(frame: Frame) -> float:
    """Variance of the Laplacian of the grey picture: higher is sharper (less motion blur)."""
    grey = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def best_still(source: BinaryIO) -> Frame:
    """The sharpest frame among those sampled at 2 per second in the first 4 seconds.

    Raises :class:`~reelvault.errors.UnsupportedMediaError` when nothing decodes.
    """
    best: Frame | None = None
    best_score = -1.0
    for frame in iter_video_frames(source, fps=SAMPLES_PER_SECOND, max_seconds=LOOK_SECONDS):
        score = sharpness(frame)
        if score > best_score:
            best, best_score = frame, score
    assert best is not None  # iter_video_frames raises when no frame decodes
    return best


def png_bytes(frame: Frame) -> bytes:
    """``frame`` as a PNG file (lossless: the engine gets what the video showed)."""
    out = io.BytesIO()
    Image.fromarray(frame).save(out, format="PNG")
    return out.getvalue()


__all__ = ["LOOK_SECONDS", "best_still", "png_bytes", "sharpness"]
