"""The optional image nudity moderator: NudeNet's detector, offline (``reelvault[nudity]``).

``nudenet`` 3.4.2 carries its detection model (``320n.onnx``, about 12 MB) inside its
wheel and runs it on ``onnxruntime``: nothing is downloaded, at install or at first use
(the model is loaded from the package's own folder, by path). Its wheel metadata says
MIT but its LICENSE file is the GNU AGPL-3.0, so reelvault treats it as AGPL: it is an
optional extra, never a dependency, and the docs say so (docs/moderation.md).

The detector finds body parts with a score; the exposed sexual ones (breasts, genitalia,
buttocks, anus) become a ``nudity`` finding with the highest such score. Covered parts,
faces, bellies, feet and armpits are not nudity. What happens then is the settings'
business: ``nudity`` is blocked unless the operator allows adult content
(:func:`reelvault.moderation.pipeline.check_adult_content`).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from reelvault.config_moderation import NUDITY_CATEGORY
from reelvault.errors import ConfigError
from reelvault.moderation.base import Finding, Image, ModeratorBase, Verdict

EXTRA = "nudity"
INSTALL_HINT = f'pip install "reelvault[{EXTRA}]" (nudenet, AGPL-3.0, and onnxruntime)'
MODEL_FILE = "320n.onnx"

EXPOSED_PARTS = frozenset(
    {
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)
"""NudeNet's classes that count as nudity (a bare chest of a man, feet or a belly do not)."""


def _missing_modules() -> list[str]:
    return [name for name in ("nudenet", "onnxruntime") if importlib.util.find_spec(name) is None]


def bundled_model() -> Path:
    """The model file inside the installed ``nudenet`` package (never fetched)."""
    spec = importlib.util.find_spec("nudenet")
    if spec is None or spec.origin is None:
        raise ConfigError(f"the nudity moderator needs its extra: {INSTALL_HINT}")
    return Path(spec.origin).parent / MODEL_FILE


class NudityModerator(ModeratorBase):
    """Exposed nudity in uploads and sampled output frames, by NudeNet's bundled model."""

    name: ClassVar[str] = "nudity"
    description: ClassVar[str] = (
        "Image nudity detector (NudeNet 3.4.2's bundled 320n ONNX model, on onnxruntime): "
        "looks at uploaded images and sampled frames of generated videos. Keeps nothing."
    )
    licence: ClassVar[str] = (
        "AGPL-3.0 (nudenet 3.4.2: its LICENSE file; its wheel metadata says MIT); "
        "optional extra reelvault[nudity]"
    )
    checks_images: ClassVar[bool] = True

    @classmethod
    def unavailable(cls) -> str | None:
        missing = _missing_modules()
        if missing:
            return f"{', '.join(missing)} not installed: {INSTALL_HINT}"
        if not bundled_model().is_file():
            return f"nudenet is installed without its model {MODEL_FILE}: reinstall it"
        return None

    def __init__(self) -> None:
        reason = self.unavailable()
        if reason is not None:
            raise ConfigError(f"the nudity moderator cannot run: {reason}", param="moderators")
        nudenet: Any = importlib.import_module("nudenet")
        # The model is named by path: NudeNet's own default is the same file, and neither
        # fetches anything; naming it keeps it so if a later version changes its default.
        self.detector: Any = nudenet.NudeDetector(model_path=str(bundled_model()))

    def check_image(self, image: Image) -> Sequence[Finding]:
        # NudeNet expects OpenCV's channel order (BGR), as cv2.imread gives it.
        bgr = np.ascontiguousarray(image[..., ::-1])
        detections: list[dict[str, Any]] = self.detector.detect(bgr)
        scores = [float(found["score"]) for found in detections if found["class"] in EXPOSED_PARTS]
        if not scores:
            return []
        return [Finding(NUDITY_CATEGORY, max(scores), Verdict.BLOCK)]


__all__ = ["EXPOSED_PARTS", "INSTALL_HINT", "NudityModerator", "bundled_model"]
