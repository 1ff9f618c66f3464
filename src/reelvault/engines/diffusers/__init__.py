"""Hugging Face diffusers video models (Wan, LTX-Video, CogVideoX, Wan-Animate).

Importing this package does not import torch or diffusers; the engine does so when it
runs, and names the ``reelvault[diffusers]`` extra if they are missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelvault.config import Settings
from reelvault.engines.diffusers.catalogue import ModelSpec, catalogue, find_model
from reelvault.engines.diffusers.engine import DiffusersEngine, DiffusersParams
from reelvault.types import Task

ENGINE_NAME = DiffusersEngine.name


@dataclass(frozen=True)
class ModelChoice:
    """How ``--model ID`` (CLI) or ``model=ID`` (API) maps onto a job."""

    engine: str
    params: dict[str, Any]
    tasks: frozenset[Task]
    default_size: tuple[int, int] | None
    default_fps: int
    default_seconds: float
    spec: ModelSpec = field(repr=False)


def model_choice(model: str, settings: Settings | None = None) -> ModelChoice:
    """Engine name, engine params and the model's defaults for a model id or folder.

    Raises :class:`~reelvault.errors.NotFoundError` listing known ids for an unknown one.
    Callers use the defaults for whatever the user did not give (size, fps, seconds).
    """
    spec = find_model(model, settings)
    pairs = spec.size_pairs
    default_size = None if spec.any_size else pairs[spec.sizes.index(spec.default_size)]
    reference = str(spec.path) if spec.path is not None and Path(model).is_absolute() else spec.id
    return ModelChoice(
        engine=ENGINE_NAME,
        params={"model": reference},
        tasks=frozenset(spec.pipelines),
        default_size=default_size,
        default_fps=spec.default_fps,
        default_seconds=spec.default_seconds,
        spec=spec,
    )


__all__ = [
    "ENGINE_NAME",
    "DiffusersEngine",
    "DiffusersParams",
    "ModelChoice",
    "ModelSpec",
    "catalogue",
    "find_model",
    "model_choice",
]
