"""Device, dtype and memory-mode choices, and the pipeline cache."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from reelvault.engines.diffusers.device import choose_memory_plan, pick_device, pick_dtype
from reelvault.engines.diffusers.loader import PipelineCache, PipelineKey, device_lock
from reelvault.errors import EngineError
from reelvault.testing import settings_for


@pytest.mark.parametrize(
    ("need", "budget", "mode", "tiling"),
    [
        (12.0, None, "none", False),  # no budget set and (off CUDA) nothing to measure
        (12.0, 24.0, "none", False),
        (12.0, 8.0, "model", True),
        (48.0, 8.0, "sequential", True),
    ],
)
def test_the_memory_mode_fits_the_budget(
    need: float, budget: float | None, mode: str, tiling: bool
) -> None:
    plan = choose_memory_plan(device="cuda", need_gb=need, budget_gb=budget)
    assert (plan.mode, plan.vae_tiling) == (mode, tiling)


def test_an_explicit_offload_choice_wins_and_cpu_never_offloads() -> None:
    assert choose_memory_plan(device="cuda", need_gb=1, budget_gb=80, choice="model").mode == (
        "model"
    )
    cpu = choose_memory_plan(device="cpu", need_gb=48, budget_gb=8, choice="sequential")
    assert (cpu.mode, cpu.vae_tiling) == ("none", False)
    assert choose_memory_plan(device="mps", need_gb=48, budget_gb=8).vae_tiling


def test_device_and_dtype_follow_the_settings(tmp_path: Path) -> None:
    assert pick_device(settings_for(tmp_path, device="cpu"), torch) == "cpu"
    if not torch.cuda.is_available():
        assert pick_device(settings_for(tmp_path), torch) in {"cpu", "mps"}
        with pytest.raises(EngineError, match="no CUDA GPU"):
            pick_device(settings_for(tmp_path, device="cuda"), torch)
    assert pick_dtype("cpu", "bfloat16", torch) is torch.float32


def test_the_cache_keeps_the_most_recent_pipelines(tiny_folders: dict[str, Path]) -> None:
    import diffusers

    plan = choose_memory_plan(device="cpu", need_gb=1, budget_gb=None)
    keys = [
        PipelineKey(str(tiny_folders[name]), cls, "cpu", "float32", plan)
        for name, cls in [("tiny-wan", "WanPipeline"), ("tiny-ltx", "LTXPipeline")]
    ]
    cache = PipelineCache(capacity=1)
    first = cache.get(keys[0], diffusers, torch)
    assert cache.get(keys[0], diffusers, torch) is first
    cache.get(keys[1], diffusers, torch)
    assert cache.keys() == [keys[1]]
    missing = PipelineKey("/nonexistent/model", "WanPipeline", "cpu", "float32", plan)
    with pytest.raises(EngineError, match="could not load WanPipeline"):
        cache.get(missing, diffusers, torch)
    with pytest.raises(EngineError, match="has no NopePipeline"):
        cache.get(PipelineKey("/x", "NopePipeline", "cpu", "float32", plan), diffusers, torch)


def test_one_lock_per_device() -> None:
    assert device_lock("cpu") is device_lock("cpu")
    assert device_lock("cpu") is not device_lock("cuda")
