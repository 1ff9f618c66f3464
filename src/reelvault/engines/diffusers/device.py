"""Where a pipeline runs, in which dtype, and how it fits the GPU memory budget.

The choices are pure functions of the settings and what torch reports, so they are
tested without a GPU; :func:`apply_memory_plan` is the one place that acts on them.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any, Literal

from reelvault.config import Settings
from reelvault.errors import EngineError

MemoryMode = Literal["none", "model", "sequential"]
OffloadChoice = Literal["auto", "none", "model", "sequential"]

MODEL_OFFLOAD_SHARE = 0.5
"""Model CPU offload keeps one component on the GPU at a time: about half the peak."""
SEQUENTIAL_OFFLOAD_SHARE = 0.2
"""Sequential offload streams layer by layer: slow, but about a fifth of the peak."""


@dataclass(frozen=True)
class MemoryPlan:
    """How a pipeline is placed on its device."""

    mode: MemoryMode
    vae_tiling: bool
    """Decode the video in tiles and slices: lower peak memory at the end of a run."""

    def describe(self) -> str:
        placement = {
            "none": "all on the GPU",
            "model": "model CPU offload",
            "sequential": "sequential CPU offload",
        }[self.mode]
        return placement + (", VAE tiling" if self.vae_tiling else "")


def pick_device(settings: Settings, torch: Any) -> str:
    """``cuda``, ``mps`` or ``cpu`` from the ``device`` setting and what is present."""
    wanted = settings.device
    has_cuda = bool(torch.cuda.is_available())
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps is not None and mps.is_available())
    if wanted == "auto":
        return "cuda" if has_cuda else "mps" if has_mps else "cpu"
    if wanted == "cuda" and not has_cuda:
        raise EngineError("device is set to cuda (REELVAULT_DEVICE) but no CUDA GPU is visible")
    if wanted == "mps" and not has_mps:
        raise EngineError("device is set to mps (REELVAULT_DEVICE) but MPS is not available")
    return wanted


def pick_dtype(device: str, wanted: str, torch: Any) -> Any:
    """The model's dtype where the device runs it well; float32 on the CPU."""
    if device == "cpu":
        # Half precision on the CPU is slow or unsupported for many kernels.
        return torch.float32
    if device == "cuda" and wanted == "bfloat16" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return getattr(torch, wanted)


def choose_memory_plan(
    *, device: str, need_gb: float, budget_gb: float | None, choice: OffloadChoice = "auto"
) -> MemoryPlan:
    """Pick an offload mode that fits ``need_gb`` (the model's peak) in ``budget_gb``.

    Offload modes are CUDA features (accelerate hooks); elsewhere the pipeline stays
    whole on its device, with VAE tiling when the budget is short.
    """
    short = budget_gb is not None and budget_gb < need_gb
    if device != "cuda":
        return MemoryPlan(mode="none", vae_tiling=short and device != "cpu")
    if choice != "auto":
        return MemoryPlan(mode=choice, vae_tiling=choice != "none" or short)
    if budget_gb is None or need_gb <= budget_gb:
        return MemoryPlan(mode="none", vae_tiling=False)
    if need_gb * MODEL_OFFLOAD_SHARE <= budget_gb:
        return MemoryPlan(mode="model", vae_tiling=True)
    return MemoryPlan(mode="sequential", vae_tiling=True)


def device_budget_gb(settings: Settings, device: str, torch: Any) -> float | None:
    """The ``vram_budget_gb`` setting, else the GPU's total memory; None off CUDA."""
    if settings.vram_budget_gb is not None:
        return settings.vram_budget_gb
    if device == "cuda":
        total = torch.cuda.get_device_properties(torch.cuda.current_device()).total_memory
        return float(total) / 1024**3
    return None


def apply_memory_plan(pipeline: Any, plan: MemoryPlan, device: str) -> None:
    if plan.mode == "model":
        pipeline.enable_model_cpu_offload(device=device)
    elif plan.mode == "sequential":
        pipeline.enable_sequential_cpu_offload(device=device)
    else:
        pipeline.to(device)
    if plan.vae_tiling:
        vae = getattr(pipeline, "vae", None)
        for switch in ("enable_tiling", "enable_slicing"):
            if vae is not None and hasattr(vae, switch):
                getattr(vae, switch)()


def free_memory(torch: Any) -> None:
    """Return cached GPU memory after a failure, a cancellation or an eviction."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    backend = getattr(torch.backends, "mps", None)
    if mps is not None and backend is not None and backend.is_available():
        mps.empty_cache()


def is_out_of_memory(error: BaseException, torch: Any) -> bool:
    if isinstance(error, torch.OutOfMemoryError):
        return True
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


__all__ = [
    "MODEL_OFFLOAD_SHARE",
    "SEQUENTIAL_OFFLOAD_SHARE",
    "MemoryMode",
    "MemoryPlan",
    "OffloadChoice",
    "apply_memory_plan",
    "choose_memory_plan",
    "device_budget_gb",
    "free_memory",
    "is_out_of_memory",
    "pick_device",
    "pick_dtype",
]
