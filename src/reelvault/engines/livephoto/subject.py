"""Find the subject of a photo: a person (MediaPipe Pose + segmentation) or, failing
that, what stands out (spectral-residual saliency).

Only models shipped inside the mediapipe 0.10.14 wheel are used (Pose with
``model_complexity=1``, SelfieSegmentation); nothing is downloaded. Landmarks and masks
live in memory only, for the duration of one job.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from reelvault.logs import native_output_quieted

Frame = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.float32]

# MediaPipe Pose landmark indices.
NOSE, L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, L_ANKLE, R_ANKLE = 0, 11, 12, 23, 24, 27, 28
_MIN_PERSON_AREA = 0.02


@dataclass(frozen=True)
class Anchors:
    """Where the subject's body is, in pixels of the analysed image."""

    head: tuple[float, float]
    neck: tuple[float, float]
    hip: tuple[float, float]
    pivot: tuple[float, float]
    """Where the body sways from: between the feet, or the bottom of the figure."""


@dataclass(frozen=True)
class Subject:
    """What the photo shows. ``mask`` is 0-1, the image's size; ``depth`` 0 (far) - 1 (near)."""

    kind: str  # "person" or "scene"
    mask: Mask
    depth: Mask
    anchors: Anchors | None
    center: tuple[float, float]


def _pose_and_mask(image: Frame) -> tuple[npt.NDArray[np.float32] | None, Mask | None]:
    import mediapipe as mp  # type: ignore[import-untyped]

    with (
        native_output_quieted(),
        mp.solutions.pose.Pose(
            static_image_mode=True,
            model_complexity=1,
            enable_segmentation=True,
            min_detection_confidence=0.5,
        ) as pose,
    ):
        result = pose.process(image)
    if result.pose_landmarks is None:
        return None, None
    height, width = image.shape[:2]
    points = np.array(
        [(lm.x * width, lm.y * height, lm.visibility) for lm in result.pose_landmarks.landmark],
        dtype=np.float32,
    )
    mask = result.segmentation_mask
    return points, None if mask is None else np.asarray(mask, dtype=np.float32)


def _selfie_mask(image: Frame) -> Mask:
    import mediapipe as mp

    with (
        native_output_quieted(),
        mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as segmenter,
    ):
        result = segmenter.process(image)
    return np.asarray(result.segmentation_mask, dtype=np.float32)


def _saliency(image: Frame) -> Mask:
    small = cv2.resize(image, (128, max(8, round(128 * image.shape[0] / image.shape[1]))))
    detector = cv2.saliency.StaticSaliencySpectralResidual.create()
    ok, saliency = detector.computeSaliency(cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
    values = np.asarray(saliency, dtype=np.float32) if ok else np.zeros(small.shape[:2], np.float32)
    values = cv2.GaussianBlur(values, (0, 0), 6)
    values -= values.min()
    values /= max(float(values.max()), 1e-6)
    height, width = image.shape[:2]
    return np.asarray(cv2.resize(values, (width, height)), dtype=np.float32)


def _anchors_from_pose(points: npt.NDArray[np.float32], height: int) -> Anchors:
    def mid(a: int, b: int) -> tuple[float, float]:
        return (float(points[a, 0] + points[b, 0]) / 2, float(points[a, 1] + points[b, 1]) / 2)

    neck, hip = mid(L_SHOULDER, R_SHOULDER), mid(L_HIP, R_HIP)
    feet_seen = min(points[L_ANKLE, 2], points[R_ANKLE, 2]) > 0.5
    ankles = mid(L_ANKLE, R_ANKLE)
    pivot = ankles if feet_seen and ankles[1] < height else (hip[0], float(height))
    return Anchors(
        head=(float(points[NOSE, 0]), float(points[NOSE, 1])), neck=neck, hip=hip, pivot=pivot
    )


def _anchors_from_mask(mask: Mask) -> Anchors:
    ys, xs = np.nonzero(mask > 0.5)
    top, bottom = float(ys.min()), float(ys.max())
    center_x = float(xs.mean())
    span = bottom - top
    return Anchors(
        head=(center_x, top + 0.08 * span),
        neck=(center_x, top + 0.2 * span),
        hip=(center_x, top + 0.55 * span),
        pivot=(center_x, bottom),
    )


def find_subject(image: Frame) -> Subject:
    """Analyse ``image`` (RGB uint8). Never fails for lack of a person."""
    height, width = image.shape[:2]
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    ground = np.broadcast_to(rows, (height, width)).astype(np.float32)  # lower is nearer
    points, mask = _pose_and_mask(image)
    anchors: Anchors | None = None
    if points is not None and mask is not None and float((mask > 0.5).mean()) > _MIN_PERSON_AREA:
        anchors = _anchors_from_pose(points, height)
    else:
        mask = _selfie_mask(image)
        if float((mask > 0.5).mean()) > _MIN_PERSON_AREA:
            anchors = _anchors_from_mask(mask)
    if anchors is not None and mask is not None:
        soft = np.clip((mask - 0.3) / 0.4, 0.0, 1.0).astype(np.float32)
        depth = np.maximum(0.35 * ground, soft)
        ys, xs = np.nonzero(soft > 0.5)
        center = (float(xs.mean()), float(ys.mean())) if len(xs) else (width / 2, height / 2)
        return Subject("person", soft, depth.astype(np.float32), anchors, center)
    saliency = _saliency(image)
    depth = (0.6 * saliency + 0.4 * ground).astype(np.float32)
    weights = saliency + 1e-3
    ys_grid, xs_grid = np.mgrid[0:height, 0:width]
    center = (
        float((xs_grid * weights).sum() / weights.sum()),
        float((ys_grid * weights).sum() / weights.sum()),
    )
    return Subject("scene", np.zeros((height, width), np.float32), depth, None, center)


__all__ = ["Anchors", "Subject", "find_subject"]
