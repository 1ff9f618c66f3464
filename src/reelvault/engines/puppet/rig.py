"""A 2D rig of the photographed person, posed from another person's joint angles.

Retargeting keeps the *angles* of the reference's bones and the *lengths* of the
portrait's (shortened by the reference's own foreshortening), so a short person is
not stretched to a tall dancer's limbs. Skinning is done backwards: for every output
pixel (on a coarse grid, then upsampled) the source pixel is the blend of each nearby
bone's inverse transform, weighted by distance to the posed bone; each body part is a
premultiplied RGBA layer, drawn back to front (legs, torso and head, arms).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float32]
Affine = npt.NDArray[np.float64]

MID_HIP, MID_SHOULDER = 33, 34
# (parent, child), parents first so joints can be chained.
TORSO, HEAD = (MID_HIP, MID_SHOULDER), (MID_SHOULDER, 0)
TORSO_BONES = (TORSO, HEAD, (MID_SHOULDER, 11), (MID_SHOULDER, 12), (MID_HIP, 23), (MID_HIP, 24))
LIMBS = {
    "left leg": ((23, 25), (25, 27)),
    "right leg": ((24, 26), (26, 28)),
    "left arm": ((11, 13), (13, 15)),
    "right arm": ((12, 14), (14, 16)),
}
DRAW_ORDER = ("left leg", "right leg", "torso", "left arm", "right arm")
_GRID = 4


def with_mid_joints(points: Points) -> Points:
    """Add the mid-hip and mid-shoulder joints (rows 33 and 34) to ``(…, 33, k)`` points."""
    mid_hip = (points[..., 23:24, :] + points[..., 24:25, :]) / 2
    mid_shoulder = (points[..., 11:12, :] + points[..., 12:13, :]) / 2
    joined: Points = np.concatenate([points[..., :33, :], mid_hip, mid_shoulder], axis=-2)
    return joined


def _along(
    xs: npt.NDArray[np.float32], ys: npt.NDArray[np.float32], a: Points, b: Points
) -> npt.NDArray[np.float32]:
    """Position of each point's projection on segment a-b: 0 at a, 1 at b."""
    ab = b - a
    length2 = max(float(ab @ ab), 1e-6)
    along: npt.NDArray[np.float32] = (((xs - a[0]) * ab[0] + (ys - a[1]) * ab[1]) / length2).astype(
        np.float32
    )
    return along


def _segment_distance(
    xs: npt.NDArray[np.float32], ys: npt.NDArray[np.float32], a: Points, b: Points
) -> npt.NDArray[np.float32]:
    t = np.clip(_along(xs, ys, a, b), 0.0, 1.0)
    dx = xs - (a[0] + t * (b[0] - a[0]))
    dy = ys - (a[1] + t * (b[1] - a[1]))
    distance: npt.NDArray[np.float32] = np.sqrt(dx * dx + dy * dy).astype(np.float32)
    return distance


def _inverse_bone(rest: Points, posed: Points, parent: int, child: int) -> Affine:
    """Posed → rest for one bone: rotate back and undo the stretch along the bone."""
    r = rest[child] - rest[parent]
    q = posed[child] - posed[parent]
    rl, ql = max(float(np.hypot(*r)), 1e-3), max(float(np.hypot(*q)), 1e-3)
    ar, aq = np.arctan2(r[1], r[0]), np.arctan2(q[1], q[0])
    rot_r = np.array([[np.cos(ar), -np.sin(ar)], [np.sin(ar), np.cos(ar)]])
    rot_q = np.array([[np.cos(aq), -np.sin(aq)], [np.sin(aq), np.cos(aq)]])
    linear = rot_r @ np.diag([rl / ql, 1.0]) @ rot_q.T
    offset = rest[parent] - linear @ posed[parent]
    return np.hstack([linear, offset[:, None]])


def _torso_inverse(rest: Points, posed: Points) -> Affine:
    """Posed → rest for the trunk: the affine that best maps shoulders and hips."""
    joints = [11, 12, 23, 24, MID_HIP, MID_SHOULDER]
    src = np.hstack([posed[joints].astype(np.float64), np.ones((len(joints), 1))])
    solution, *_ = np.linalg.lstsq(src, rest[joints].astype(np.float64), rcond=None)
    return np.asarray(solution.T, dtype=np.float64)


@dataclass
class _Layer:
    name: str
    bones: tuple[tuple[int, int], ...]
    texture: Frame  # premultiplied RGBA, output size
    radius: float  # how far the part's pixels reach from its bones


class Rig:
    """The person of the photo, cut into layers and skinned to the rest skeleton."""

    def __init__(
        self, photo: Frame, alpha: npt.NDArray[np.float32], rest: Points, chains: set[str]
    ) -> None:
        self.height, self.width = photo.shape[:2]
        self.rest = rest[:, :2].astype(np.float32)
        self.torso_length = float(np.hypot(*(self.rest[MID_SHOULDER] - self.rest[MID_HIP])))
        self.sigma = max(4.0, 0.12 * self.torso_length)
        ys, xs = np.mgrid[0 : self.height, 0 : self.width].astype(np.float32)
        bones: list[tuple[str, tuple[int, int]]] = [("torso", b) for b in TORSO_BONES]
        for name in chains:
            bones.extend((name, b) for b in LIMBS[name])
        # Each pixel of the person belongs to the part of its nearest bone.
        distances = np.stack(
            [_segment_distance(xs, ys, self.rest[p], self.rest[c]) for _, (p, c) in bones]
        )
        nearest = np.argmin(distances, axis=0)
        premultiplied = photo.astype(np.float32) * alpha[:, :, None]
        self.layers: list[_Layer] = []
        for name in DRAW_ORDER:
            if name != "torso" and name not in chains:
                continue
            indices = [i for i, (part, _) in enumerate(bones) if part == name]
            member = np.isin(nearest, indices).astype(np.float32)
            # Limbs overlap the trunk a little so joints never open a gap.
            if name != "torso":
                grow = max(3, round(0.08 * self.torso_length)) | 1
                kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))
                member = np.asarray(cv2.dilate(member, kernel), np.float32)
            member = np.asarray(cv2.GaussianBlur(member, (0, 0), 1.2), np.float32)
            cover = alpha * member
            part_distance = np.min(distances[indices], axis=0)
            inked = part_distance[cover > 0.02]
            radius = float(inked.max()) + 4.0 if inked.size else 8.0
            texture = np.dstack([premultiplied * member[:, :, None], cover * 255.0])
            self.layers.append(
                _Layer(
                    name,
                    tuple(b for part, b in bones if part == name),
                    np.clip(texture, 0, 255).round().astype(np.uint8),
                    radius,
                )
            )
        self._canvas = np.empty((self.height, self.width, 4), np.uint8)

    def _region(self, layer: _Layer, posed: Points) -> tuple[int, int, int, int] | None:
        """The part of the frame the posed layer can cover (grid-aligned), or None."""
        joints = posed[[j for bone in layer.bones for j in bone]]
        x0 = int(np.floor((joints[:, 0].min() - layer.radius) / _GRID)) * _GRID
        y0 = int(np.floor((joints[:, 1].min() - layer.radius) / _GRID)) * _GRID
        x1 = int(np.ceil(joints[:, 0].max() + layer.radius))
        y1 = int(np.ceil(joints[:, 1].max() + layer.radius))
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(self.width, x1), min(self.height, y1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            return None
        return x0, y0, x1, y1

    def _maps(
        self, layer: _Layer, posed: Points, region: tuple[int, int, int, int]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        x0, y0, x1, y1 = region
        gw, gh = (x1 - x0) // _GRID + 2, (y1 - y0) // _GRID + 2
        grid_x, grid_y = np.meshgrid(
            x0 + np.arange(gw, dtype=np.float32) * _GRID,
            y0 + np.arange(gh, dtype=np.float32) * _GRID,
        )
        total = np.zeros_like(grid_x)
        src_x = np.zeros_like(grid_x)
        src_y = np.zeros_like(grid_x)
        carried = np.zeros_like(grid_x)
        torso_inverse = _torso_inverse(self.rest, posed) if layer.name == "torso" else None
        distances = [
            _segment_distance(grid_x, grid_y, posed[parent], posed[child])
            for parent, child in layer.bones
        ]
        # Weights relative to the nearest bone: far from every bone a point follows its
        # nearest bone rigidly instead of an average of all (which draws ghost copies).
        nearest = np.minimum.reduce(distances)
        sigma: npt.NDArray[np.float32] | float = self.sigma
        if torso_inverse is None:
            # Blend the two bones of a limb only around their shared joint: a folded
            # elbow has two nearly parallel bones, and blending all along them would
            # smear the arm into a wide fan.
            joint = posed[layer.bones[0][1]]
            near_joint = np.hypot(grid_x - joint[0], grid_y - joint[1]) / (1.5 * self.sigma)
            sigma = (self.sigma * np.exp(-(near_joint**2)) + 0.5).astype(np.float32)
        for (parent, child), distance in zip(layer.bones, distances, strict=True):
            weight = np.exp(-(((distance - nearest) / sigma) ** 2))
            if torso_inverse is None:
                # A limb bone only carries what lies beside it (its far end too when it
                # ends the limb: the hand, the foot); beyond its joints the rigid
                # transform would sample the neighbouring bone's pixels a second time.
                along = _along(grid_x, grid_y, posed[parent], posed[child])
                window = np.clip((along + 0.3) / 0.3, 0.0, 1.0)
                if (parent, child) == layer.bones[0]:
                    window = window * np.clip((1.3 - along) / 0.3, 0.0, 1.0)
                carried += weight * window
                weight = weight * (window + 1e-3)
            else:
                carried += weight
            if torso_inverse is not None and (parent, child) != HEAD:
                inverse = torso_inverse
            else:
                inverse = _inverse_bone(self.rest, posed, parent, child)
            src_x += weight * (inverse[0, 0] * grid_x + inverse[0, 1] * grid_y + inverse[0, 2])
            src_y += weight * (inverse[1, 0] * grid_x + inverse[1, 1] * grid_y + inverse[1, 2])
            total += weight
        size = ((gw - 1) * _GRID + 1, (gh - 1) * _GRID + 1)
        width, height = x1 - x0, y1 - y0
        map_x = cv2.resize((src_x / total).astype(np.float32), size)[:height, :width]
        map_y = cv2.resize((src_y / total).astype(np.float32), size)[:height, :width]
        # Points no bone carries are faded out rather than drawn a second time.
        coverage = np.clip(carried * 4.0, 0.0, 1.0).astype(np.float32)
        cover = cv2.resize(coverage, size)[:height, :width]
        return np.ascontiguousarray(map_x), np.ascontiguousarray(map_y), np.ascontiguousarray(cover)

    def render(self, background: Frame, posed: Points) -> Frame:
        """Draw the posed person over ``background`` (RGB, output size)."""
        canvas = self._canvas
        cv2.cvtColor(background, cv2.COLOR_RGB2RGBA, dst=canvas)
        for layer in self.layers:
            region = self._region(layer, posed)
            if region is None:
                continue
            x0, y0, x1, y1 = region
            map_x, map_y, cover = self._maps(layer, posed, region)
            warped = cv2.remap(
                layer.texture,
                map_x,
                map_y,
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=(0, 0, 0, 0),
            )
            if layer.name != "torso":
                cover4 = cv2.merge([(cover * 255).astype(np.uint8)] * 4)
                warped = cv2.multiply(warped, cover4, scale=1.0 / 255.0)
            # canvas = layer (premultiplied) + canvas * (1 - alpha): anti-aliased edges.
            inverse_alpha = cv2.bitwise_not(cv2.extractChannel(warped, 3))
            inverse_alpha4 = cv2.merge([inverse_alpha] * 4)
            patch = canvas[y0:y1, x0:x1]
            mixed = cv2.multiply(patch, inverse_alpha4, scale=1.0 / 255.0)
            patch[...] = cv2.add(mixed, warped)
        return np.asarray(cv2.cvtColor(canvas, cv2.COLOR_RGBA2RGB), dtype=np.uint8)


def retarget(
    rest: Points,
    reference: Points,
    nominal: dict[tuple[int, int], float],
    root_origin: Points,
    root_scale: float,
    size_ratio: float,
) -> Points:
    """Posed joints (35, 2): the reference frame's bone angles on the rest bone lengths.

    ``nominal``: each bone's typical (unforeshortened) length in the reference;
    ``root_origin``: the reference's typical mid-hip; ``root_scale``: how much nearer
    the dancer is than usual in this frame; ``size_ratio``: portrait / reference size.
    """
    posed = rest[:, :2].astype(np.float32).copy()
    posed[MID_HIP] = rest[MID_HIP, :2] + (reference[MID_HIP, :2] - root_origin) * size_ratio
    chain = list(TORSO_BONES) + [bone for bones in LIMBS.values() for bone in bones]
    for parent, child in chain:
        direction = reference[child, :2] - reference[parent, :2]
        length = float(np.hypot(*direction))
        rest_length = float(np.hypot(*(rest[child, :2] - rest[parent, :2])))
        foreshortening = min(1.0, max(0.25, length / max(nominal[(parent, child)], 1e-3)))
        unit = direction / max(length, 1e-3)
        posed[child] = posed[parent] + unit * rest_length * foreshortening * root_scale
    return posed


def clamp_to_frame(
    posed: Points, width: int, height: int, margin: float, keep_bottom: bool
) -> Points:
    """Shift the figure so its joints (plus ``margin``) stay inside the frame."""
    low = posed.min(axis=0) - margin
    high = posed.max(axis=0) + margin
    shift = np.zeros(2, np.float32)
    for axis, limit in ((0, width), (1, height)):
        if high[axis] - low[axis] >= limit:
            shift[axis] = (limit - (high[axis] + low[axis])) / 2
        elif low[axis] < 0:
            shift[axis] = -low[axis]
        elif high[axis] > limit and not (axis == 1 and not keep_bottom):
            shift[axis] = limit - high[axis]
    return (posed + shift).astype(np.float32)


ALL_BONES = TORSO_BONES + tuple(bone for bones in LIMBS.values() for bone in bones)

__all__ = [
    "ALL_BONES",
    "LIMBS",
    "MID_HIP",
    "MID_SHOULDER",
    "Rig",
    "clamp_to_frame",
    "retarget",
    "with_mid_joints",
]
