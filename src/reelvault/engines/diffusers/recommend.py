"""Which catalogue models fit a GPU, and in which memory mode (``reelvault models recommend``).

The same arithmetic the engine uses when a job runs (device.py): a model's ``vram_gb``
is its peak with every component on the GPU; model CPU offload needs about half of
that, sequential offload about a fifth. Pure functions, so every card size is tested
without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reelvault.engines.diffusers.catalogue import ModelSpec
from reelvault.engines.diffusers.device import (
    MODEL_OFFLOAD_SHARE,
    SEQUENTIAL_OFFLOAD_SHARE,
    MemoryMode,
)

CPU_ENGINES: tuple[str, ...] = ("procedural", "livephoto", "puppet")
"""The embedded engines: no GPU, no weights to download."""

MODE_WORDS: dict[MemoryMode, str] = {
    "none": "all on the GPU (fastest)",
    "model": "model CPU offload (offload=model)",
    "sequential": "sequential CPU offload (offload=sequential; slow)",
}


@dataclass(frozen=True)
class Fit:
    """One model on one card: the memory mode that fits it, or None when none does."""

    spec: ModelSpec
    mode: MemoryMode | None
    need_gb: float
    """GPU memory the chosen mode needs (the full peak when nothing fits)."""


def fit(spec: ModelSpec, gpu_gb: float) -> Fit:
    """The fastest memory mode whose share of the model's peak fits ``gpu_gb``."""
    shares: tuple[tuple[MemoryMode, float], ...] = (
        ("none", 1.0),
        ("model", MODEL_OFFLOAD_SHARE),
        ("sequential", SEQUENTIAL_OFFLOAD_SHARE),
    )
    for mode, share in shares:
        need = spec.vram_gb * share
        if need <= gpu_gb:
            return Fit(spec=spec, mode=mode, need_gb=need)
    return Fit(spec=spec, mode=None, need_gb=spec.vram_gb)


def recommend(specs: list[ModelSpec], gpu_gb: float) -> list[Fit]:
    """Every model with its mode: those that fit first (fastest mode first), then the rest."""
    order: dict[MemoryMode | None, int] = {"none": 0, "model": 1, "sequential": 2, None: 3}
    fits = [fit(spec, gpu_gb) for spec in specs]
    return sorted(fits, key=lambda item: (order[item.mode], item.spec.vram_gb))


def detected_gpu_gb() -> float | None:
    """The first CUDA GPU's total memory in GiB; None without torch or a CUDA GPU."""
    try:
        import torch
    except ImportError:
        return None
    cuda: Any = torch.cuda
    if not cuda.is_available():
        return None
    return float(cuda.get_device_properties(0).total_memory) / 1024**3


__all__ = ["CPU_ENGINES", "MODE_WORDS", "Fit", "detected_gpu_gb", "fit", "recommend"]
