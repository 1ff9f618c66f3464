"""Turn a photo and its subject into frames: background plate, subject layer, warps.

Per frame, the background is one affine warp; the subject is one remap through a
sampling map computed on a coarse grid (camera move composed with life motion, both
smooth) and upsampled; the two are blended with the subject's soft alpha, so edges are
anti-aliased. A photo without a person is one layer whose parallax follows a depth map.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from reelvault.engines.livephoto.motion import LayerPose, layer_poses, life_offsets
from reelvault.engines.livephoto.subject import Subject

Frame = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.float32]

_GRID_STEP = 8
_INPAINT_SIDE = 320


def fill_background(image: Frame, mask: Mask) -> Frame:
    """The photo with the subject removed: OpenCV inpainting at low resolution (the
    fill only shows at the subject's moving edges), pasted into a widened hole."""
    height, width = image.shape[:2]
    hole = (mask > 0.15).astype(np.uint8) * 255
    grow = max(3, round(0.015 * max(width, height)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))
    hole = np.asarray(cv2.dilate(hole, kernel), dtype=np.uint8)
    if not hole.any():
        return image.copy()
    factor = min(1.0, _INPAINT_SIDE / max(width, height))
    size = (max(8, round(width * factor)), max(8, round(height * factor)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    small_hole = (cv2.resize(hole, size, interpolation=cv2.INTER_NEAREST) > 0).astype(np.uint8)
    filled = cv2.inpaint(small, small_hole * 255, 5, cv2.INPAINT_TELEA)
    filled = cv2.GaussianBlur(filled, (0, 0), 1.5)
    upscaled = cv2.resize(filled, (width, height), interpolation=cv2.INTER_LINEAR)
    blend = cv2.GaussianBlur(hole.astype(np.float32) / 255.0, (0, 0), grow / 2)
    out = cv2.blendLinear(upscaled, image, blend, 1.0 - blend)
    return np.asarray(out, dtype=np.uint8)


class LivePhotoRenderer:
    """Renders frame ``i`` of ``count`` for a prepared photo (RGB, output size)."""

    def __init__(
        self,
        image: Frame,
        subject: Subject,
        *,
        motion: str,
        strength: float,
        fps: int,
        count: int,
        seed: int,
    ) -> None:
        self.height, self.width = image.shape[:2]
        self.motion, self.strength = motion, strength
        self.fps, self.count = fps, count
        self.subject = subject
        self.phase = (seed % 997) / 997 * 2 * math.pi
        self.center = subject.center
        gw = self.width // _GRID_STEP + 2
        gh = self.height // _GRID_STEP + 2
        gx = np.arange(gw, dtype=np.float32) * _GRID_STEP
        gy = np.arange(gh, dtype=np.float32) * _GRID_STEP
        self.grid_x, self.grid_y = np.meshgrid(gx, gy)
        self.grid_size = (gw, gh)
        # Four channels everywhere: OpenCV's remap is about three times faster on 4-channel
        # images than on 3-channel ones, and preallocated buffers avoid page faults.
        shape4 = (self.height, self.width, 4)
        self._back = np.empty(shape4, np.uint8)
        self._front = np.empty(shape4, np.uint8)
        self._mixed = np.empty(shape4, np.uint8)
        self._inverse_alpha4 = np.empty(shape4, np.uint8)
        self._alpha = np.empty((self.height, self.width), np.uint8)
        opaque = np.full(image.shape[:2], 255, np.uint8)
        if subject.kind == "person":
            alpha = cv2.GaussianBlur(subject.mask, (0, 0), max(1.0, self.width / 900))
            self.background = np.dstack([fill_background(image, subject.mask), opaque])
            # Premultiplied: bilinear sampling then blends colour and coverage correctly.
            premultiplied = (image.astype(np.float32) * alpha[:, :, None]).round()
            self.layer = np.dstack(
                [premultiplied.astype(np.uint8), (alpha * 255).round().astype(np.uint8)]
            )
            grown = np.asarray(cv2.dilate(subject.mask, np.ones((15, 15), np.uint8)), np.float32)
            coarse = self._coarse(grown)
            self.weight = np.asarray(cv2.GaussianBlur(coarse, (0, 0), 2), dtype=np.float32)
        else:
            self.background = np.dstack([image, opaque])
            self.depth = self._coarse(subject.depth)

    def _coarse(self, values: Mask) -> Mask:
        gw, gh = self.grid_size
        padded = cv2.resize(values, ((gw - 1) * _GRID_STEP, (gh - 1) * _GRID_STEP))
        return np.asarray(cv2.resize(padded, (gw, gh), interpolation=cv2.INTER_AREA), np.float32)

    def _inverse(self, pose: LayerPose) -> tuple[Mask, Mask]:
        """Where each coarse output point samples from, for a layer with this pose."""
        cx, cy = self.center
        xs = cx + (self.grid_x - cx - pose.shift[0]) / pose.scale
        ys = cy + (self.grid_y - cy - pose.shift[1]) / pose.scale
        return xs.astype(np.float32), ys.astype(np.float32)

    def _upsample(self, xs: Mask, ys: Mask) -> tuple[Mask, Mask]:
        gw, gh = self.grid_size
        size = ((gw - 1) * _GRID_STEP + 1, (gh - 1) * _GRID_STEP + 1)
        full_x = cv2.resize(xs, size, interpolation=cv2.INTER_LINEAR)[: self.height, : self.width]
        full_y = cv2.resize(ys, size, interpolation=cv2.INTER_LINEAR)[: self.height, : self.width]
        return np.ascontiguousarray(full_x), np.ascontiguousarray(full_y)

    def render(self, index: int) -> Frame:
        t = index / max(1, self.count - 1)
        seconds = index / self.fps
        back_pose, front_pose = layer_poses(self.motion, t, self.strength, self.width)
        bx, by = self._inverse(back_pose)
        if self.subject.kind != "person":
            # One layer, parallax by depth: near points follow the front pose.
            fx, fy = self._inverse(front_pose)
            map_x, map_y = self._upsample(bx + (fx - bx) * self.depth, by + (fy - by) * self.depth)
            cv2.remap(
                self.background,
                map_x,
                map_y,
                cv2.INTER_LINEAR,
                dst=self._back,
                borderMode=cv2.BORDER_REFLECT,
            )
            return np.asarray(cv2.cvtColor(self._back, cv2.COLOR_RGBA2RGB), dtype=np.uint8)
        map_x, map_y = self._upsample(bx, by)
        cv2.remap(
            self.background,
            map_x,
            map_y,
            cv2.INTER_LINEAR,
            dst=self._back,
            borderMode=cv2.BORDER_REFLECT,
        )
        xs, ys = self._inverse(front_pose)
        anchors = self.subject.anchors
        assert anchors is not None
        dx, dy = life_offsets(xs, ys, self.weight, anchors, seconds, self.strength, self.phase)
        map_x, map_y = self._upsample(xs - dx, ys - dy)
        # Replicate at the border: a body cut by the photo's edge stays attached to it.
        cv2.remap(
            self.layer,
            map_x,
            map_y,
            cv2.INTER_LINEAR,
            dst=self._front,
            borderMode=cv2.BORDER_REPLICATE,
        )
        # out = front (premultiplied) + back * (1 - alpha)
        cv2.extractChannel(self._front, 3, dst=self._alpha)
        cv2.bitwise_not(self._alpha, dst=self._alpha)
        cv2.merge([self._alpha] * 4, dst=self._inverse_alpha4)
        cv2.multiply(self._back, self._inverse_alpha4, dst=self._mixed, scale=1.0 / 255.0)
        cv2.add(self._front, self._mixed, dst=self._mixed)
        return np.asarray(cv2.cvtColor(self._mixed, cv2.COLOR_RGBA2RGB), dtype=np.uint8)


__all__ = ["LivePhotoRenderer", "fill_background"]
