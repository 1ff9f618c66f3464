"""Is there a face in this picture? OpenCV's bundled Haar cascade, offline, in memory.

Used to ask for the likeness affirmation (docs/moderation.md): only the count is
returned. The face's box, landmarks or any other biometric feature are never kept,
logged or returned (DESIGN.md: face boxes are transient).

The cascade file (``haarcascade_frontalface_default.xml``, Intel's BSD-3-Clause licence)
ships inside the ``opencv-contrib-python`` wheel: nothing is downloaded. A frontal-face
detector misses faces in profile and finds some in patterns: it decides whether to ask
a question, nothing more.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from reelvault.errors import ConfigError
from reelvault.media.decode import Frame

CASCADE = "haarcascade_frontalface_default.xml"
MAX_SIDE = 640  # faces in a video input are large: a smaller picture is found as well, faster

# One classifier for the process, used by one thread at a time (it is not safe to share,
# and one per request thread would cost megabytes each in a server's thread pool).
_lock = threading.Lock()
_loaded: list[cv2.CascadeClassifier] = []


def _cascade() -> cv2.CascadeClassifier:
    """The classifier; call with :data:`_lock` held."""
    if not _loaded:
        path = Path(cv2.data.haarcascades) / CASCADE  # type: ignore[attr-defined]
        cascade = cv2.CascadeClassifier(str(path))
        if cascade.empty():
            raise ConfigError(f"OpenCV's face cascade {CASCADE} is missing from its package")
        _loaded.append(cascade)
    return _loaded[0]


def count_faces(image: Frame) -> int:
    """How many frontal faces OpenCV's Haar cascade finds in an RGB image."""
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    height, width = grey.shape
    scale = MAX_SIDE / max(height, width)
    if scale < 1:
        grey = cv2.resize(
            grey,
            (max(1, round(width * scale)), max(1, round(height * scale))),
            interpolation=cv2.INTER_AREA,
        )
    grey = cv2.equalizeHist(grey)
    with _lock:
        faces = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
    return len(faces)


__all__ = ["count_faces"]
