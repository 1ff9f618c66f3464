"""Water below the horizon: perspective waves that ripple the reflection of the sky.

Waves are sines on the water plane seen in perspective; their sum displaces each row of
the mirrored image above the horizon, modulates its brightness, and makes glitter under
the sun or moon. Everything per row is precomputed; per frame it costs a few passes over
the water rows.
"""

from __future__ import annotations

import math

import numpy as np

from reelvault.engines.procedural.lighting import Light
from reelvault.engines.procedural.sdf import FloatArray

TAU = 2.0 * math.pi


class Water:
    """The water surface of one video."""

    def __init__(
        self,
        *,
        horizon: int,
        width: int,
        height: int,
        unit: float,
        waves: float,
        light: Light,
        rng: np.random.Generator,
    ) -> None:
        hz, h, w = horizon, height, width
        self.horizon, self.width, self.unit, self.roughness = horizon, width, unit, waves
        rows = h - hz
        depth = (np.arange(rows, dtype=np.float32) + 0.5) / rows  # 0 at horizon, 1 at bottom
        self.src_rows = np.clip(hz - 1 - (np.arange(rows) * 0.9).astype(np.int64), 0, hz - 1)
        strength = 0.35 + 1.1 * waves
        self.amp = ((0.3 + 4.0 * depth**1.5) * strength * unit / 360).astype(np.float32)
        # Waves are sines on the water plane seen in perspective: row r lies at distance
        # ~1/(depth + e) and a pixel's plane x is (x - cx) * distance. Each wave's
        # amplitude fades where it would alias (more than ~0.3 cycles per pixel).
        distance = (1.0 / (0.04 + depth)).astype(np.float32)
        self.distance = distance
        self.plane_x = (
            (np.arange(w, dtype=np.float32) - w / 2)[None, :] * distance[:, None]
        ) / unit
        self.components: list[tuple[float, FloatArray, float]] = []
        d_distance = np.abs(np.gradient(distance))
        for k in range(5):
            wavelength = 0.06 * (1.45**k)  # in plane units (frame heights at depth 1)
            # Crests run mostly across the view (k mostly along the distance axis).
            angle = float(rng.uniform(-0.7, 0.7))
            kx = TAU / wavelength * math.sin(angle)
            kz = TAU / wavelength * math.cos(angle) * 0.2
            per_pixel_x = kx * distance / unit / TAU
            per_row = kz * d_distance / TAU
            alias = np.maximum(per_pixel_x, per_row)
            amp = (wavelength**0.6) * np.clip(1.0 - alias / 0.3, 0.0, 1.0)
            row_phase = (kz * distance + float(rng.uniform(0, TAU))).astype(np.float32)
            omega = math.sqrt(9.8 * TAU / wavelength) * 0.35 * float(rng.choice([-1.0, 1.0]))
            self.components.append((kx, np.stack([amp.astype(np.float32), row_phase]), omega))
        total = sum(float(wave[1][0].max()) for wave in self.components)
        self.norm = 1.7 / max(total, 1e-6)
        fres = (0.75 - 0.45 * depth).astype(np.float32)
        self.fresnel = fres[:, None, None]
        base = np.asarray(light.water, dtype=np.float32)
        deep = base * (0.65 + 0.35 * (1 - depth))[:, None]
        self.base = (deep * (1 - fres)[:, None])[:, None, :].astype(np.float32)
        self.x = np.arange(w, dtype=np.int64)[None, :]
        # Glitter under the sun or moon: a column that widens towards the viewer.
        sx = light.sun_xy[0] * w
        body = light.sun or ((0.85, 0.88, 0.95) if light.moon else None)
        self.glitter: FloatArray | None = None
        if body is not None:
            x = np.arange(w, dtype=np.float32)[None, :]
            spread = (0.03 + 0.25 * depth[:, None]) * unit
            column = np.exp(-(((x - sx) / spread) ** 2)) * (0.9 if light.sun else 0.6)
            self.glitter = column.astype(np.float32)
            self.glitter_color = np.asarray(body, dtype=np.float32)

    def render(self, frame: FloatArray, t: float, pan: float) -> None:
        """Replace the rows below the horizon of ``frame`` with water reflecting those above."""
        hz, w = self.horizon, self.width
        ripple = np.zeros(self.plane_x.shape, dtype=np.float32)
        shift_x = pan * 0.85 / self.unit * float(self.distance[-1])
        for kx, (amp, row_phase), omega in self.components:
            arg = self.plane_x * kx
            arg += (row_phase - omega * t + kx * shift_x)[:, None]
            np.sin(arg, out=arg)
            arg *= amp[:, None]
            ripple += arg
        ripple *= self.norm
        shift = np.rint(ripple * self.amp[:, None] * 1.5).astype(np.int64)
        idx = np.clip(self.x + shift, 0, w - 1)
        reflected = frame[self.src_rows[:, None], idx]
        water = reflected * self.fresnel
        water += self.base
        strength = 0.05 + 0.08 * self.roughness
        water *= (1.0 + strength * ripple)[..., None]
        if self.glitter is not None:
            sparkle = np.clip(ripple * 2.5 - 1.6, 0.0, 1.0) * self.glitter
            water += sparkle[..., None] * self.glitter_color
        frame[hz:] = water


__all__ = ["Water"]
