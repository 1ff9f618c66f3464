"""Step caches, attention backend, torch.compile and quantisation of the diffusers engine.

The tiny pipelines run for real: a chosen cache must be hooked on the transformer
while the pipeline denoises (diffusers' HookRegistry), and a choice the model cannot
take must be refused, naming the model and what it supports, before anything loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine, acceleration
from reelvault.engines.diffusers.acceleration import LoadTuning, apply_load_tuning
from reelvault.errors import ConfigError, EngineError, ValidationError
from reelvault.testing import settings_for
from reelvault.types import Task
from tests.unit.engines.diffusers.conftest import write_user_catalogue


def _engine(tmp_path: Path, folders: dict[str, Path], **settings: Any) -> DiffusersEngine:
    values = settings_for(tmp_path, device="cpu", **settings)
    write_user_catalogue(values, folders)
    return DiffusersEngine(values)


def _request(
    engine: DiffusersEngine, tmp_path: Path, model: str, **params: Any
) -> GenerationRequest:
    return GenerationRequest(
        task=Task.TEXT_TO_VIDEO,
        width=32,
        height=32,
        fps=8,
        seconds=1.0,
        seed=3,
        scratch_dir=tmp_path,
        prompt="a fox in snow",
        params=parse_params(engine, {"model": model, "steps": 3, **params}),
        inputs={},
    )


def _hook_names(module: torch.nn.Module) -> set[str]:
    """Every diffusers hook registered anywhere in ``module`` (HookRegistry per submodule)."""
    names: set[str] = set()
    for submodule in module.modules():
        registry = getattr(submodule, "_diffusers_hook", None)
        if registry is not None:
            names.update(registry.hooks)
    return names


class HookProbe:
    """A progress callback that looks at the loaded transformer during denoising."""

    def __init__(self, engine: DiffusersEngine) -> None:
        self.engine = engine
        self.seen: list[tuple[str | None, set[str]]] = []

    def transformer(self) -> Any:
        key = self.engine.cache.keys()[0]
        return self.engine.cache.get(key, None, None).transformer

    def __call__(self, fraction: float, stage: str) -> None:
        if stage == "denoising" and self.engine.cache.keys():
            transformer = self.transformer()
            config = transformer._cache_config
            self.seen.append((type(config).__name__ if config else None, _hook_names(transformer)))


@pytest.mark.parametrize(
    ("model", "cache", "config", "hook"),
    [
        ("tiny-wan", "first_block", "FirstBlockCacheConfig", "fbc_leader_block_hook"),
        ("tiny-ltx", "taylorseer", "TaylorSeerCacheConfig", "taylorseer_cache"),
        ("tiny-wan", "mag", "MagCacheConfig", "mag_cache_leader_block_hook"),
    ],
)
def test_the_chosen_cache_is_hooked_on_the_transformer_while_it_denoises(
    tmp_path: Path, tiny_folders: dict[str, Path], model: str, cache: str, config: str, hook: str
) -> None:
    engine = _engine(tmp_path, tiny_folders, diffusers_mag_ratios=[1.0, 0.99, 0.98])
    probe = HookProbe(engine)
    video = engine.run(_request(engine, tmp_path, model, cache=cache), probe)
    assert len(list(video.frames)) == video.frame_count
    during = [seen for seen in probe.seen if seen[0] is not None]
    assert during, "no denoising step ran with the cache enabled"
    assert all(name == config and hook in hooks for name, hooks in during), during
    # Per call: the loaded pipeline is left without hooks for the next request.
    assert probe.transformer()._cache_config is None
    assert hook not in _hook_names(probe.transformer())


def test_the_cache_setting_applies_when_the_request_names_none(
    tmp_path: Path, tiny_folders: dict[str, Path]
) -> None:
    engine = _engine(tmp_path, tiny_folders, diffusers_cache="first_block")
    probe = HookProbe(engine)
    list(engine.run(_request(engine, tmp_path, "tiny-wan"), probe).frames)
    assert any(name == "FirstBlockCacheConfig" for name, _ in probe.seen)
    # ... and a request may turn it off.
    probe.seen.clear()
    list(engine.run(_request(engine, tmp_path, "tiny-wan", cache="none"), probe).frames)
    assert probe.seen and all(name is None for name, _ in probe.seen)


def test_a_cache_the_model_cannot_take_is_refused_before_loading(
    tmp_path: Path, tiny_folders: dict[str, Path]
) -> None:
    engine = _engine(tmp_path, tiny_folders)
    with pytest.raises(ValidationError) as refused:
        engine.run(_request(engine, tmp_path, "tiny-wan", cache="faster"), lambda _f, _s: None)
    assert refused.value.param == "cache"
    assert "model tiny-wan (wan) does not support cache faster" in refused.value.message
    assert "choose one of: none, first_block, taylorseer, mag" in refused.value.message
    assert len(engine.cache) == 0


def test_wan_animate_takes_only_taylorseer(tmp_path: Path) -> None:
    # Its transformer ships its own copy of the Wan block, which diffusers' block
    # caches do not know: refused up front instead of failing inside diffusers.
    settings = settings_for(tmp_path, device="cpu")
    with pytest.raises(ValidationError, match=r"choose one of: none, taylorseer$"):
        acceleration.choose_acceleration("anim", "wan_animate", settings, cache="first_block")
    chosen = acceleration.choose_acceleration("anim", "wan_animate", settings, cache="taylorseer")
    assert chosen.cache == "taylorseer"


def test_an_unsupported_cache_setting_is_a_config_error_naming_the_setting(
    tmp_path: Path, tiny_folders: dict[str, Path]
) -> None:
    engine = _engine(tmp_path, tiny_folders, diffusers_cache="faster")
    with pytest.raises(ConfigError, match="REELVAULT_DIFFUSERS_CACHE") as refused:
        engine.run(_request(engine, tmp_path, "tiny-ltx"), lambda _f, _s: None)
    assert "model tiny-ltx" in refused.value.message


def test_mag_cache_without_calibrated_ratios_is_refused(
    tmp_path: Path, tiny_folders: dict[str, Path]
) -> None:
    engine = _engine(tmp_path, tiny_folders)
    with pytest.raises(ValidationError, match="REELVAULT_DIFFUSERS_MAG_RATIOS"):
        engine.run(_request(engine, tmp_path, "tiny-wan", cache="mag"), lambda _f, _s: None)


def test_attention_backend_is_refused_for_cogvideox_and_set_on_wan(
    tmp_path: Path, tiny_folders: dict[str, Path]
) -> None:
    engine = _engine(tmp_path, tiny_folders)
    with pytest.raises(ValidationError, match="model tiny-cogvideox") as refused:
        engine.run(
            _request(engine, tmp_path, "tiny-cogvideox", attention_backend="native"),
            lambda _f, _s: None,
        )
    assert refused.value.param == "attention_backend"
    probe = HookProbe(engine)
    list(
        engine.run(
            _request(engine, tmp_path, "tiny-wan", attention_backend="_native_math"), probe
        ).frames
    )
    processor = probe.transformer().blocks[0].attn1.processor
    assert str(processor._attention_backend) in {
        "_native_math",
        "AttentionBackendName._NATIVE_MATH",
    }
    assert engine.cache.keys()[0].tuning.attention_backend == "_native_math"


def test_an_attention_backend_without_its_package_names_the_package(
    tmp_path: Path, tiny_folders: dict[str, Path]
) -> None:
    pytest.importorskip("diffusers")
    from importlib.util import find_spec

    if find_spec("sageattention") is not None:
        pytest.skip("sageattention is installed here")
    engine = _engine(tmp_path, tiny_folders)
    with pytest.raises(EngineError, match="sageattention"):
        engine.run(
            _request(engine, tmp_path, "tiny-wan", attention_backend="sage"), lambda _f, _s: None
        )


def test_compile_wraps_the_repeated_blocks(tiny_folders: dict[str, Path]) -> None:
    from diffusers import WanPipeline

    pipeline = WanPipeline.from_pretrained(tiny_folders["tiny-wan"], local_files_only=True)  # type: ignore[no-untyped-call]
    apply_load_tuning(pipeline, LoadTuning(compile=True))
    # compile_repeated_blocks compiles each WanTransformerBlock in place (lazily).
    assert all(block._compiled_call_impl is not None for block in pipeline.transformer.blocks)


def test_quantization_without_its_package_is_refused(
    tmp_path: Path, tiny_folders: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(acceleration, "find_spec", lambda _name: None)
    engine = _engine(tmp_path, tiny_folders, diffusers_quantization="bnb-4bit")
    with pytest.raises(ConfigError, match="needs the bitsandbytes package") as refused:
        engine.run(_request(engine, tmp_path, "tiny-wan"), lambda _f, _s: None)
    assert "model tiny-wan" in refused.value.message
    assert len(engine.cache) == 0
