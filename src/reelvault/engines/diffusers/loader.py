"""Loading pipelines from local folders only, an LRU cache of them, and a lock per device.

Nothing here downloads: ``from_pretrained`` gets a local folder and
``local_files_only=True``. Loading a multi-gigabyte pipeline takes long, so recently used
ones stay loaded (``capacity`` of them; one by default, since two video models rarely
fit one GPU together). One job at a time runs on a device: two pipelines sharing a
GPU would only run each other out of memory.

A folder's sibling classes (Wan's text-to-video and video-to-video pipelines, SkyReels-V2's
three diffusion-forcing ones) share every component: switching from one to another reuses
the loaded components through diffusers' ``from_pipe`` instead of loading the weights a
second time (see :func:`switch_pipeline`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelvault.engines.diffusers.acceleration import (
    NO_TUNING,
    LoadTuning,
    apply_load_tuning,
    quantization_config,
)
from reelvault.engines.diffusers.device import MemoryPlan, apply_memory_plan, free_memory
from reelvault.errors import EngineError

_LOCKS_GUARD = threading.Lock()
_DEVICE_LOCKS: dict[str, threading.Lock] = {}


def device_lock(device: str) -> threading.Lock:
    """The process-wide lock of a device (``cuda``, ``mps``, ``cpu``)."""
    with _LOCKS_GUARD:
        return _DEVICE_LOCKS.setdefault(device, threading.Lock())


@dataclass(frozen=True)
class PipelineKey:
    folder: str
    pipeline_class: str
    device: str
    dtype: str
    plan: MemoryPlan
    tuning: LoadTuning = NO_TUNING
    """Attention backend, torch.compile and quantisation: fixed once loaded."""

    def shares_weights(self, other: PipelineKey) -> bool:
        """The same folder placed the same way: only the pipeline class differs."""
        return (self.folder, self.device, self.dtype, self.plan, self.tuning) == (
            other.folder,
            other.device,
            other.dtype,
            other.plan,
            other.tuning,
        )

    @property
    def switchable(self) -> bool:
        """Whether another class can take this pipeline's components (``from_pipe``).

        Not under sequential offload (its modules' weights live in accelerate's hooks, on
        the meta device) nor with quantised weights (``from_pipe`` casts every module to
        the pipeline's dtype): those load again.
        """
        return self.plan.mode != "sequential" and self.tuning.quantization == "none"


def _pipeline_class(diffusers: Any, key: PipelineKey) -> Any:
    pipeline_class = getattr(diffusers, key.pipeline_class, None)
    if pipeline_class is None:
        raise EngineError(
            f"this diffusers version ({diffusers.__version__}) has no {key.pipeline_class}; "
            'upgrade with pip install -U "reelvault[diffusers]"'
        )
    return pipeline_class


def load_pipeline(diffusers: Any, torch: Any, key: PipelineKey) -> Any:
    """Load a pipeline class from a local folder and place it per the memory plan."""
    pipeline_class = _pipeline_class(diffusers, key)
    if not (Path(key.folder) / "model_index.json").is_file():
        # Never hand diffusers a name it could take for a Hub repo id.
        raise EngineError(
            f"could not load {key.pipeline_class}: {key.folder} is not a model folder"
        )
    options: dict[str, Any] = {}
    quantization = quantization_config(diffusers, key.tuning.quantization)
    if quantization is not None:
        options["quantization_config"] = quantization
    try:
        pipeline = pipeline_class.from_pretrained(
            key.folder, dtype=getattr(torch, key.dtype), local_files_only=True, **options
        )
    except (OSError, ValueError, KeyError) as exc:
        # A partly pulled or damaged folder: the file name is useful, contents never shown.
        raise EngineError(
            f"could not load {key.pipeline_class} from {key.folder} ({type(exc).__name__}); "
            "run `reelvault models verify` and pull the model again if files are missing"
        ) from exc
    pipeline.set_progress_bar_config(disable=True)
    apply_memory_plan(pipeline, key.plan, key.device)
    apply_load_tuning(pipeline, key.tuning)
    return pipeline


def switch_pipeline(diffusers: Any, torch: Any, loaded: Any, key: PipelineKey) -> Any:
    """``loaded``'s components (the same folder) as ``key``'s pipeline class.

    diffusers' ``from_pipe`` hands the components over without copying them. The memory
    plan is applied again on the new pipeline: model offload chains its hooks in the
    pipeline's own order of use, and diffusers advises re-applying such pipeline methods on
    a pipeline made with ``from_pipe``. The attention backend and compilation are the
    shared transformer's own already.
    """
    pipeline_class = _pipeline_class(diffusers, key)
    # Without a dtype, from_pipe would cast the shared modules to float32.
    switched = pipeline_class.from_pipe(loaded, dtype=getattr(torch, key.dtype))
    switched.set_progress_bar_config(disable=True)
    apply_memory_plan(switched, key.plan, key.device)
    return switched


class PipelineCache:
    """Loaded pipelines, least recently used evicted first (and its memory returned)."""

    def __init__(self, capacity: int = 1) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._pipelines: OrderedDict[PipelineKey, Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pipelines)

    def keys(self) -> list[PipelineKey]:
        return list(self._pipelines)

    def get(self, key: PipelineKey, diffusers: Any, torch: Any) -> Any:
        if key in self._pipelines:
            self._pipelines.move_to_end(key)
            return self._pipelines[key]
        sibling = next(
            (loaded for loaded in self._pipelines if key.switchable and loaded.shares_weights(key)),
            None,
        )
        if sibling is not None:
            # The loaded pipeline becomes the other class: the old one is dropped, since
            # the memory plan now follows the new one (and they share every weight).
            pipeline = switch_pipeline(diffusers, torch, self._pipelines.pop(sibling), key)
            self._pipelines[key] = pipeline
            return pipeline
        # Make room first: the new pipeline must not load beside the one it replaces.
        while len(self._pipelines) >= self.capacity:
            self._pipelines.popitem(last=False)
            free_memory(torch)
        pipeline = load_pipeline(diffusers, torch, key)
        self._pipelines[key] = pipeline
        return pipeline

    def clear(self, torch: Any) -> None:
        self._pipelines.clear()
        free_memory(torch)


__all__ = ["PipelineCache", "PipelineKey", "device_lock", "load_pipeline", "switch_pipeline"]
