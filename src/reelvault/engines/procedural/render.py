"""The rasteriser: composes one frame of a :class:`Scene` at time t, with numpy only.

Built once per video: the sky (a full frame), landscape bands wider than the frame,
cloud sprites, actor placements, particle seeds, the vignette and a grain tile. Per frame
only what moves is computed: each band is sampled through the camera (a pan and a zoom,
scaled by the band's depth for parallax), clouds and actors are drawn in their bounding
boxes, the water reflects what is above the horizon through moving waves, particles are
splatted, and the result is graded and quantised to uint8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from reelvault.engines.procedural.aurora import aurora_light, build_aurora
from reelvault.engines.procedural.catalogue import GROUNDED, LOOKS
from reelvault.engines.procedural.colors import mix, mul, scale
from reelvault.engines.procedural.landscape import (
    BandLayer,
    city_layer,
    dunes_layer,
    forest_layer,
    ground_layer,
    ridge_layer,
)
from reelvault.engines.procedural.lighting import Light, make_light
from reelvault.engines.procedural.movement import Actor, pose_at
from reelvault.engines.procedural.particles import build_particles, draw_particles
from reelvault.engines.procedural.scene import RGB, CameraMove, Scene
from reelvault.engines.procedural.sdf import FloatArray
from reelvault.engines.procedural.sky import build_sky, cloud_sprite
from reelvault.engines.procedural.subjects import SIZES, draw_actor
from reelvault.engines.procedural.water import Water

Style = Literal["flat", "soft"]
TAU = 2.0 * math.pi

SKY_KINDS = frozenset(
    {"balloon", "hot_air_balloon", "bird", "kite", "star", "shape", "sun", "moon", "planet"}
)


def _ease(p: float) -> float:
    return p * p * (3.0 - 2.0 * p)


@dataclass(frozen=True)
class Cloud:
    sprite: FloatArray
    x: float
    y: int
    speed: float
    depth: float


class SceneRenderer:
    """Renders frame ``i`` of a scene; frames are independent of each other."""

    def __init__(
        self,
        scene: Scene,
        *,
        width: int,
        height: int,
        fps: int,
        frame_count: int,
        style: Style = "soft",
        grain: float = 0.2,
        camera: CameraMove | None = None,
    ) -> None:
        self.scene = scene
        self.width, self.height = width, height
        self.fps = fps
        self.frame_count = frame_count
        self.duration = frame_count / fps
        self.soft = style == "soft"
        self.grain = grain
        self.camera = camera or scene.camera
        rng = np.random.default_rng(scene.variant)
        self.unit = float(min(width, height))

        has = scene.has
        self.open_sky = not (has("space") or has("underwater"))
        if has("water") and self.open_sky:
            horizon_rel = 0.56 + float(rng.uniform(-0.03, 0.03))
        elif has("city"):
            horizon_rel = 0.7
        elif self.open_sky:
            horizon_rel = 0.64 + float(rng.uniform(-0.03, 0.03))
        else:
            horizon_rel = 1.0
        self.horizon = min(height, round(height * horizon_rel))
        self.light: Light = make_light(scene, rng, horizon_rel)
        self.night = scene.time == "night" or (scene.time == "dusk" and has("city"))

        self.margin = math.ceil(0.09 * width) + 2
        self.canvas_width = width + 2 * self.margin
        self.sky, self._stars = build_sky(
            scene, self.light, width, height, self.horizon, rng, self.soft
        )
        self.aurora = (
            build_aurora(width, height, self.horizon, scene.variant)
            if scene.has("aurora") and self.open_sky
            else None
        )
        self.layers = self._build_layers(rng)
        self.front_layers: list[BandLayer] = []
        if scene.has("beach") and scene.has("water") and self.open_sky:
            sand: RGB = mul((0.95, 0.82, 0.6), self.light.ambient)
            shore = height - int(0.1 * height)
            self.front_layers.append(
                dunes_layer(
                    rng, self.canvas_width, height, shore, 0.08, sand, -1.0, 0.95, bottom=height
                )
            )
        self.clouds = self._build_clouds(rng)
        self.actors = self._place_actors(rng)
        self.particle_groups = build_particles(scene, self.light, width, height, self.unit, rng)
        self.twinkle = self._build_twinkle(rng)
        self.water: Water | None = None
        if scene.has("water") and self.open_sky and self.horizon < height:
            self.water = Water(
                horizon=self.horizon,
                width=width,
                height=height,
                unit=self.unit,
                waves=scene.waves,
                light=self.light,
                rng=rng,
            )
        self.vignette: FloatArray | None = None
        if self.soft:
            x = (np.arange(width, dtype=np.float32) + 0.5) / width - 0.5
            y = (np.arange(height, dtype=np.float32) + 0.5) / height - 0.5
            r2 = (x[None, :] ** 2) * 1.0 + (y[:, None] ** 2) * 1.3
            self.vignette = (1.0 - 0.55 * np.clip(r2 - 0.08, 0.0, 1.0))[..., None].astype(
                np.float32
            )
        self._grain_tile: FloatArray | None = None
        if grain > 0:
            tile = rng.standard_normal((height + 64, width + 64), dtype=np.float32)
            self._grain_tile = (tile * (grain * 9.0)).astype(np.float32)

    # ------------------------------------------------------------------ building

    def _build_layers(self, rng: np.random.Generator) -> list[BandLayer]:
        """The landscape bands, far to near; each step draws from ``rng`` in this order."""
        has = self.scene.has
        if not self.open_sky:
            return self._seabed_layers(rng) if has("underwater") else []
        landscape = (
            has("mountains") or has("hills") or has("city") or has("forest") or has("desert")
        )
        layers: list[BandLayer] = []
        if has("mountains"):
            layers += self._mountain_layers(rng)
        if has("hills") or not (landscape or has("water")):
            layers += self._hill_layers(rng)
        if has("desert"):
            layers.append(self._far_dunes_layer(rng))
        if has("city"):
            layers += self._city_layers(rng)
        if has("forest"):
            layers += self._forest_layers(rng)
        if not has("water"):
            layers.append(self._foreground_layer(rng))
        return layers

    def _seabed_layers(self, rng: np.random.Generator) -> list[BandLayer]:
        cw, h = self.canvas_width, self.height
        sand = mul((0.55, 0.58, 0.45), (0.7, 0.85, 0.95))
        return [
            dunes_layer(rng, cw, h, h, 0.2, scale(sand, 0.8), 1.0, 0.4, bottom=h),
            dunes_layer(rng, cw, h, h, 0.1, sand, 1.0, 0.75, bottom=h),
        ]

    def _mountain_layers(self, rng: np.random.Generator) -> list[BandLayer]:
        cw, h, hz = self.canvas_width, self.height, self.horizon
        amb, haze = self.light.ambient, self.light.horizon
        caps = self.scene.has("snow") or rng.random() < 0.5
        return [
            ridge_layer(
                rng, cw, h, hz, 0.34, mul((0.32, 0.36, 0.5), amb), haze, 0.42, 0.12, True, caps
            ),
            ridge_layer(
                rng, cw, h, hz, 0.2, mul((0.16, 0.2, 0.28), amb), haze, 0.2, 0.25, True, caps
            ),
        ]

    def _hill_layers(self, rng: np.random.Generator) -> list[BandLayer]:
        cw, h, hz = self.canvas_width, self.height, self.horizon
        amb, haze = self.light.ambient, self.light.horizon
        snow = self.scene.has("snow")
        green: RGB = (0.88, 0.9, 0.95) if snow else (0.3, 0.55, 0.28)
        near: RGB = (0.8, 0.84, 0.9) if snow else (0.17, 0.36, 0.15)
        return [
            ridge_layer(rng, cw, h, hz, 0.17, mul(green, amb), haze, 0.4, 0.3, False, False),
            ridge_layer(rng, cw, h, hz, 0.09, mul(near, amb), haze, 0.1, 0.5, False, False),
        ]

    def _far_dunes_layer(self, rng: np.random.Generator) -> BandLayer:
        amb, haze = self.light.ambient, self.light.horizon
        sand_far: RGB = (0.86, 0.66, 0.42)
        return dunes_layer(
            rng,
            self.canvas_width,
            self.height,
            self.horizon,
            0.13,
            mix(mul(sand_far, amb), haze, 0.3),
            -1.0,
            0.3,
        )

    def _city_layers(self, rng: np.random.Generator) -> list[BandLayer]:
        cw, h, hz = self.canvas_width, self.height, self.horizon
        light, amb, haze = self.light, self.light.ambient, self.light.horizon
        lit_share = 0.45 if self.night or self.scene.time == "dusk" else 0.04
        window_lit: RGB = (1.0, 0.82, 0.45)
        window_dark = mix(mul((0.25, 0.32, 0.42), amb), light.mid, 0.3)
        far_color = mix(mul((0.32, 0.36, 0.46), amb), haze, 0.45)
        near_color = mix(mul((0.2, 0.22, 0.28), amb), haze, 0.12)
        far_lit = scale(window_lit, 0.8)
        return [
            city_layer(rng, cw, h, hz, 0.42, far_color, far_lit, window_dark, lit_share, 0.3),
            city_layer(rng, cw, h, hz, 0.3, near_color, window_lit, window_dark, lit_share, 0.5),
        ]

    def _forest_layers(self, rng: np.random.Generator) -> list[BandLayer]:
        cw, h, hz = self.canvas_width, self.height, self.horizon
        amb, haze = self.light.ambient, self.light.horizon
        dark: RGB = (0.1, 0.26, 0.17) if not self.scene.has("snow") else (0.55, 0.62, 0.66)
        return [
            forest_layer(rng, cw, h, hz, 0.14, mix(mul(dark, amb), haze, 0.4), 0.45),
            forest_layer(rng, cw, h, hz, 0.2, mul(scale(dark, 0.7), amb), 0.65),
        ]

    def _foreground_layer(self, rng: np.random.Generator) -> BandLayer:
        """What lies between the horizon and the camera on land: near dunes or the ground."""
        has = self.scene.has
        cw, h, hz = self.canvas_width, self.height, self.horizon
        amb, haze = self.light.ambient, self.light.horizon
        if has("desert") and not has("city"):
            sand_near: RGB = (0.93, 0.74, 0.48)
            return dunes_layer(
                rng, cw, h, hz + int(0.1 * h), 0.1, mul(sand_near, amb), -1.0, 0.6, bottom=h
            )
        if has("snow"):
            far, near = (0.9, 0.92, 0.97), (0.82, 0.86, 0.93)
        elif has("city"):
            far, near = (0.3, 0.3, 0.32), (0.22, 0.22, 0.24)
        else:
            far, near = (0.32, 0.52, 0.24), (0.18, 0.36, 0.13)
        return ground_layer(
            cw,
            h,
            hz,
            mix(mul(far, amb), haze, 0.25),
            mul(near, amb),
            rng,
            0.8,
            street=has("city"),
            night=self.night,
        )

    def _build_clouds(self, rng: np.random.Generator) -> list[Cloud]:
        scene, light, has = self.scene, self.light, self.scene.has
        if not self.open_sky:
            return []
        if has("rain"):
            count = 7
        elif has("clouds"):
            count = 5 + int(rng.integers(0, 3))
        elif scene.time == "night":
            count = int(rng.integers(0, 2))
        else:
            count = 2 + int(rng.integers(0, 3))
        if scene.time == "night":
            lit, shadow = (0.22, 0.25, 0.34), (0.08, 0.1, 0.16)
        elif scene.time in ("sunset", "sunrise"):
            lit, shadow = (1.0, 0.8, 0.66), mix(light.mid, (0.35, 0.25, 0.4), 0.5)
        elif scene.time == "dusk":
            lit, shadow = (0.75, 0.55, 0.6), (0.25, 0.2, 0.35)
        else:
            lit, shadow = (1.0, 1.0, 1.0), (0.76, 0.8, 0.88)
        if has("rain"):
            lit, shadow = mix(lit, (0.5, 0.52, 0.56), 0.7), mix(shadow, (0.26, 0.28, 0.32), 0.7)
        wind = float(rng.choice([-1.0, 1.0]))
        clouds = []
        for _ in range(count):
            w = int(self.width * float(rng.uniform(0.2, 0.4)))
            h = max(8, int(w * float(rng.uniform(0.32, 0.42))))
            sprite = cloud_sprite(rng, w, h, lit, shadow, self.soft)
            y = int(self.horizon * float(rng.uniform(0.02, 0.5)) - h * 0.3)
            depth = float(rng.uniform(0.05, 0.18))
            speed = wind * self.width * float(rng.uniform(0.008, 0.02))
            clouds.append(
                Cloud(sprite, float(rng.uniform(-0.2, 1.0)) * self.width, y, speed, depth)
            )
        clouds.sort(key=lambda c: c.depth)
        return clouds

    def _place_actors(self, rng: np.random.Generator) -> list[Actor]:
        w, h, hz, unit = self.width, self.height, self.horizon, self.unit
        scene = self.scene
        actors: list[Actor] = []
        groups = len(scene.subjects)
        for g, subject in enumerate(scene.subjects):
            kind = subject.kind
            size = SIZES[kind] * unit
            count = subject.count if kind not in ("sun", "moon", "planet") else 1
            slot = (g + 0.5) / groups
            for k in range(count):
                jitter = float(rng.uniform(-0.06, 0.06))
                if count > 1:
                    spread = (k - (count - 1) / 2) / max(count, 1)
                    x_rel = 0.25 + 0.5 * slot + spread * 0.6 + jitter * 0.5
                    scale = (
                        float(rng.uniform(0.65, 1.0))
                        if kind in ("bird", "fish", "balloon")
                        else 1.0
                    )
                else:
                    x_rel = (0.5 if groups == 1 else 0.2 + 0.6 * slot) + jitter
                    scale = 1.0
                direction = scene.direction if k % 3 != 2 or kind != "fish" else -scene.direction
                depth = 0.85 * scale
                if kind in ("boat", "ship"):
                    y = hz + (h - hz) * (0.32 + 0.25 * scale * (k % 2)) + size * 0.05
                    scale *= 1.0 if k == 0 else 0.7
                elif kind == "car":
                    y = hz + (h - hz) * (0.84 if count == 1 or k % 2 == 0 else 0.6)
                    depth = 0.95
                elif kind in LOOKS:
                    y = self._catalogue_y(kind, subject.motion, k)
                elif kind == "fish":
                    y = h * (0.35 + 0.35 * float(rng.random()))
                elif kind in ("sun", "moon"):
                    y = hz * 0.35
                elif kind == "planet":
                    y = h * 0.42
                elif kind == "balloon":
                    y = hz * (0.38 + 0.12 * float(rng.random())) - size * 0.4
                elif kind == "hot_air_balloon":
                    y = hz * (0.42 + 0.1 * float(rng.random()))
                elif kind == "bird":
                    y = hz * (0.3 + 0.35 * float(rng.random()))
                else:
                    y = h * (0.36 + 0.08 * float(rng.random()))
                    if self.open_sky:
                        y = min(y, hz * 0.6)
                color = subject.color
                if kind == "bird" and not subject.color_given and scene.time in ("night", "dusk"):
                    color = (0.92, 0.93, 0.97)  # moonlit gulls, not black on a black sky
                actors.append(
                    Actor(
                        kind=kind,
                        color=color,
                        motion=subject.motion,
                        x=x_rel * w,
                        y=y,
                        size=size * scale,
                        depth=depth,
                        phase=float(rng.uniform(0, TAU)),
                        direction=direction,
                    )
                )
        actors.sort(key=lambda a: (a.kind not in ("sun", "moon", "planet"), a.depth))
        return actors

    def _catalogue_y(self, kind: str, motion: str, k: int) -> float:
        """Where a catalogue subject stands: on the ground in front, or in the air if it flies."""
        h, hz = self.height, self.horizon
        family = LOOKS[kind].family
        ground = hz + (h - hz) * (0.6 + 0.12 * (k % 2)) if hz < h * 0.95 else h * 0.92
        if family in GROUNDED:
            return ground
        if family == "creature" and motion in ("fly", "float", "rise"):
            return hz * (0.45 + 0.1 * (k % 2)) if self.open_sky else h * 0.4
        if family == "creature":
            return ground
        return h * 0.6  # food and objects: an icon in the foreground

    def _build_twinkle(
        self, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, FloatArray, FloatArray] | None:
        if self._stars is None:
            return None
        limit = max(self.horizon - 2, 2) if self.open_sky else self.height - 1
        n = max(4, int(self.width * self.height / 6000))
        xs = rng.integers(1, self.width - 1, n)
        ys = rng.integers(1, limit, n)
        phases = rng.uniform(0, TAU, n).astype(np.float32)
        bright = rng.uniform(0.35, 0.9, n).astype(np.float32)
        return xs, ys, phases, bright

    # ------------------------------------------------------------------- camera

    def camera_at(self, t: float) -> tuple[float, float]:
        """(pan in pixels at depth 1, zoom at depth 1) at time t."""
        p = _ease(min(max(t / max(self.duration, 1e-6), 0.0), 1.0))
        reach = min(1.0, 0.35 + self.duration / 8.0)
        if self.camera == "pan-left":
            return -(p * 2 - 1) * self.margin * 0.95 * reach, 1.0
        if self.camera == "pan-right":
            return (p * 2 - 1) * self.margin * 0.95 * reach, 1.0
        if self.camera == "push-in":
            return 0.0, 1.0 + 0.14 * reach * p
        if self.camera == "pull-out":
            return 0.0, 1.0 + 0.14 * reach * (1 - p)
        return 0.0, 1.0

    def _sample_layer(self, layer: BandLayer, frame: FloatArray, pan: float, zoom: float) -> None:
        w, h = self.width, self.height
        zd = 1.0 + (zoom - 1.0) * layer.depth
        offset = self.margin + pan * layer.depth
        band = layer.rgba
        rows = band.shape[0]
        cx, cy = w / 2.0, self.horizon if self.open_sky else h / 2.0
        if abs(zd - 1.0) < 1e-6:
            top = max(layer.y0, 0)
            bottom = min(layer.y0 + rows, h)
            if bottom <= top:
                return
            src = band[top - layer.y0 : bottom - layer.y0]
            k = math.floor(offset)
            f = offset - k
            if f < 1e-4:
                strip = src[:, k : k + w]
            else:
                strip = src[:, k + 1 : k + 1 + w] - src[:, k : k + w]
                strip *= f
                strip += src[:, k : k + w]
        else:
            ys = np.arange(h, dtype=np.float32)
            v = cy + (ys + 0.5 - cy) / zd - 0.5 - layer.y0
            valid = np.nonzero((v > -1.0) & (v < rows))[0]
            if valid.size == 0:
                return
            top, bottom = int(valid[0]), int(valid[-1]) + 1
            # Columns first, on the source rows (fewer than the screen rows when zoomed in).
            xs = np.arange(w, dtype=np.float32)
            u = offset + cx + (xs + 0.5 - cx) / zd - 0.5
            u0 = np.floor(u)
            fu = (u - u0)[None, :, None]
            j0 = np.clip(u0.astype(np.int64), 0, band.shape[1] - 2)
            v = v[top:bottom]
            r_lo = max(math.floor(v[0]), 0)
            r_hi = min(math.floor(v[-1]) + 2, rows)
            src = band[r_lo:r_hi]
            cols = np.take(src, j0 + 1, axis=1)
            left = np.take(src, j0, axis=1)
            cols -= left
            cols *= fu
            cols += left
            v0 = np.floor(v)
            fv = (v - v0)[:, None, None]
            i0 = v0.astype(np.int64) - r_lo
            i1 = np.minimum(i0 + 1, r_hi - r_lo - 1)
            above = i0 < 0
            upper = np.take(cols, np.maximum(i0, 0), axis=0)
            if above.any():
                upper[above] = 0.0
            strip = np.take(cols, i1, axis=0)
            strip -= upper
            strip *= fv
            strip += upper
        region = frame[top:bottom]
        region *= 1.0 - strip[..., 3:4]
        region += strip[..., :3]

    def _blit(self, frame: FloatArray, sprite: FloatArray, x: float, y: int, row_max: int) -> None:
        h, w = sprite.shape[:2]
        ix = math.floor(x)
        f = x - ix
        shifted = np.zeros((h, w + 1, 4), dtype=np.float32)
        shifted[:, :w] = sprite * (1.0 - f)
        shifted[:, 1:] += sprite * f
        x0, x1 = max(ix, 0), min(ix + w + 1, self.width)
        y0, y1 = max(y, 0), min(y + h, row_max)
        if x1 <= x0 or y1 <= y0:
            return
        part = shifted[y0 - y : y1 - y, x0 - ix : x1 - ix]
        region = frame[y0:y1, x0:x1]
        region *= 1.0 - part[..., 3:4]
        region += part[..., :3]

    # ------------------------------------------------------------------- frames

    def render(self, index: int) -> np.ndarray:
        """Frame ``index`` as RGB uint8 (height, width, 3)."""
        t = index / self.fps
        pan, zoom = self.camera_at(t)
        w, h, hz = self.width, self.height, self.horizon
        frame = self.sky.copy()
        if self.twinkle is not None:
            xs, ys, phases, bright = self.twinkle
            amount = bright * (0.5 + 0.5 * np.sin(t * 3.1 + phases))
            frame[ys, xs] += amount[:, None] * 0.8
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                frame[ys + dy, xs + dx] += amount[:, None] * 0.25
        sky_limit = hz if self.open_sky else h
        if self.aurora is not None:  # in the sky, behind clouds and land
            frame[:sky_limit] += aurora_light(self.aurora, t, sky_limit)
        for cloud in self.clouds:
            cw = cloud.sprite.shape[1]
            span = w + cw * 2
            x = (cloud.x + cloud.speed * t - pan * cloud.depth + cw) % span - cw
            self._blit(frame, cloud.sprite, x, cloud.y, sky_limit)
        for layer in self.layers:
            self._sample_layer(layer, frame, pan, zoom)

        cx, cy = w / 2.0, hz if self.open_sky else h / 2.0
        patches = []
        for actor in self.actors:
            pose = pose_at(actor, t, self.duration, w, h)
            zd = 1.0 + (zoom - 1.0) * actor.depth
            sx = cx + (pose.x - pan * actor.depth - cx) * zd
            sy = cy + (pose.y - cy) * zd
            patch = draw_actor(
                actor, pose, sx, sy, zd, t, w, h, self.light.ambient, self.soft, self.night
            )
            if patch is not None:
                patches.append((actor, patch, sy))

        if self.water is not None:
            for actor, patch, _ in patches:
                if actor.kind in SKY_KINDS:
                    patch.composite(frame, row_max=hz)
            self.water.render(frame, t, pan)
            for actor, patch, sy in patches:
                if actor.kind in SKY_KINDS:
                    patch.composite(frame, row_min=hz)
                else:
                    reflection = patch.flipped(sy, w, h)
                    if reflection is not None:
                        reflection.alpha *= 0.45
                        reflection.rgb *= 0.45
                        reflection.composite(frame, row_min=math.ceil(sy))
                    patch.composite(frame)
            for layer in self.front_layers:
                self._sample_layer(layer, frame, pan, zoom)
        else:
            for _, patch, _ in patches:
                patch.composite(frame)

        for group in self.particle_groups:
            draw_particles(frame, group, t, pan, self.unit)

        if self.vignette is not None:
            frame *= self.vignette
        frame *= 255.0
        if self._grain_tile is not None:
            k = (index * 2654435761) & 0xFFFFFFFF
            oy, ox = k % 61, (k >> 8) % 61
            frame += self._grain_tile[oy : oy + h, ox : ox + w, None]
        frame += 0.5
        np.clip(frame, 0.0, 255.0, out=frame)
        return frame.astype(np.uint8)


__all__ = ["SceneRenderer", "Style"]
