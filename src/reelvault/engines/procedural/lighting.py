"""The light of a scene: sky colours for its time of day, dimmed or greyed by its weather."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelvault.engines.procedural.colors import mix, scale
from reelvault.engines.procedural.scene import RGB, Scene, TimeOfDay


@dataclass(frozen=True)
class Light:
    """Sky colours and the light they cast on things."""

    top: RGB
    mid: RGB
    horizon: RGB
    ambient: RGB
    sun: RGB | None
    sun_xy: tuple[float, float]  # relative to frame size
    sun_radius: float  # relative to frame height
    glow: float
    moon: bool
    water: RGB
    ground: RGB


def make_light(scene: Scene, rng: np.random.Generator, horizon: float) -> Light:
    """Colours for the scene's time of day and weather; ``horizon`` is relative (0..1)."""
    sun_x = float(rng.uniform(0.28, 0.72))
    return _weathered(_clear_light(scene.time, sun_x, rng, horizon), scene)


def _clear_light(time: TimeOfDay, sun_x: float, rng: np.random.Generator, horizon: float) -> Light:
    """The light of a clear sky at ``time``; the sun sits at ``sun_x`` when it is low."""
    if time == "day":
        return Light(
            top=(0.2, 0.42, 0.8),
            mid=(0.42, 0.64, 0.9),
            horizon=(0.8, 0.88, 0.95),
            ambient=(1.0, 1.0, 1.0),
            sun=(1.0, 0.97, 0.86),
            sun_xy=(float(rng.uniform(0.62, 0.85)), 0.14),
            sun_radius=0.035,
            glow=0.35,
            moon=False,
            water=(0.08, 0.3, 0.5),
            ground=(0.3, 0.55, 0.25),
        )
    elif time == "sunset":
        return Light(
            top=(0.15, 0.14, 0.38),
            mid=(0.8, 0.38, 0.42),
            horizon=(1.0, 0.68, 0.32),
            ambient=(1.0, 0.8, 0.68),
            sun=(1.0, 0.88, 0.55),
            sun_xy=(sun_x, horizon - 0.09),
            sun_radius=0.06,
            glow=1.0,
            moon=False,
            water=(0.2, 0.12, 0.26),
            ground=(0.3, 0.25, 0.2),
        )
    elif time == "sunrise":
        return Light(
            top=(0.3, 0.42, 0.75),
            mid=(0.93, 0.66, 0.68),
            horizon=(1.0, 0.86, 0.62),
            ambient=(1.0, 0.9, 0.85),
            sun=(1.0, 0.93, 0.7),
            sun_xy=(sun_x, horizon - 0.07),
            sun_radius=0.055,
            glow=0.8,
            moon=False,
            water=(0.22, 0.3, 0.45),
            ground=(0.35, 0.42, 0.3),
        )
    elif time == "dusk":
        return Light(
            top=(0.07, 0.07, 0.23),
            mid=(0.34, 0.24, 0.48),
            horizon=(0.93, 0.5, 0.4),
            ambient=(0.62, 0.56, 0.72),
            sun=None,
            sun_xy=(sun_x, horizon + 0.02),
            sun_radius=0.05,
            glow=0.6,
            moon=False,
            water=(0.08, 0.08, 0.2),
            ground=(0.15, 0.14, 0.2),
        )
    else:
        return Light(
            top=(0.01, 0.02, 0.07),
            mid=(0.03, 0.06, 0.16),
            horizon=(0.09, 0.14, 0.28),
            ambient=(0.45, 0.5, 0.7),
            sun=None,
            sun_xy=(float(rng.uniform(0.65, 0.82)), 0.2),
            sun_radius=0.045,
            glow=0.0,
            moon=True,
            water=(0.02, 0.04, 0.1),
            ground=(0.06, 0.08, 0.12),
        )


def _weathered(light: Light, scene: Scene) -> Light:
    """``light`` under the scene's weather: greyed by rain, hazed by daytime snow."""
    if scene.has("rain"):
        grey: RGB = (0.42, 0.45, 0.5) if scene.time != "night" else (0.06, 0.07, 0.09)
        light = Light(
            top=mix(light.top, scale(grey, 0.7), 0.75),
            mid=mix(light.mid, grey, 0.7),
            horizon=mix(light.horizon, scale(grey, 1.2), 0.6),
            ambient=scale(light.ambient, 0.72),
            sun=None,
            sun_xy=light.sun_xy,
            sun_radius=light.sun_radius,
            glow=light.glow * 0.2,
            moon=False,
            water=scale(light.water, 0.8),
            ground=scale(light.ground, 0.7),
        )
    elif scene.has("snow") and scene.time in ("day", "sunrise"):
        overcast: RGB = (0.72, 0.76, 0.82)
        light = Light(
            top=mix(light.top, overcast, 0.45),
            mid=mix(light.mid, overcast, 0.5),
            horizon=mix(light.horizon, overcast, 0.5),
            ambient=light.ambient,
            sun=light.sun,
            sun_xy=light.sun_xy,
            sun_radius=light.sun_radius,
            glow=light.glow * 0.5,
            moon=False,
            water=light.water,
            ground=light.ground,
        )
    return light


__all__ = ["Light", "make_light"]
