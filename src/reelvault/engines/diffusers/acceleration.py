"""Speed and memory options of the diffusers engine: step caches, torch.compile,
the attention backend and weight quantisation.

Each option comes from the ``diffusers_*`` settings, and a request may override the
cache, compile and attention choices (``params.cache`` ...). Every choice is checked
against the model's family *before* anything loads, so a choice the transformer class
cannot take is refused with the supported alternatives instead of failing mid-run.
What a family supports was found by running diffusers 0.42's hooks on each family's
pipelines (see tests/unit/engines/diffusers/test_acceleration.py).

Nothing here imports torch or diffusers at module level.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from typing import Any, get_args

from reelvault.config import Settings
from reelvault.config_diffusers import AttentionChoice, CacheChoice, QuantizationChoice
from reelvault.errors import ConfigError, EngineError, ReelvaultError, ValidationError

# Block caches (first_block, mag) need the family's transformer block registered with
# diffusers (TransformerBlockRegistry): Wan-Animate ships its own unregistered copy of
# the Wan block, and those of LTX-2, HunyuanVideo 1.5 and SkyReels-V2 are not registered.
# FasterCache expects the conditional and unconditional batch in one forward, which
# only CogVideoX's pipelines do. Sana-Video's transformer has no enable_cache at all (no
# CacheMixin in diffusers 0.42). A family not listed here takes no cache.
CACHES_BY_FAMILY: dict[str, tuple[CacheChoice, ...]] = {
    "wan": ("first_block", "taylorseer", "mag"),
    "ltx": ("first_block", "taylorseer", "mag"),
    "cogvideox": ("first_block", "faster", "taylorseer", "mag"),
    "wan_animate": ("taylorseer",),
    "ltx2": ("taylorseer",),
    "hunyuan15": ("taylorseer",),
    "skyreels": ("taylorseer",),
    "wan_vace": ("first_block", "taylorseer", "mag"),
}
# CogVideoX's attention processor calls torch's SDPA directly, not diffusers' dispatcher.
# Sana-Video's linear self-attention and HunyuanVideo 1.5's token refiner compute their
# own: the backend serves their other attention layers.
ATTENTION_FAMILIES: frozenset[str] = frozenset(
    {"wan", "ltx", "wan_animate", "ltx2", "sana", "hunyuan15", "skyreels", "wan_vace"}
)

# TaylorSeer's default module patterns (re.fullmatch "...attn") match no module of these
# families, whose attention layers are attn1/attn2: it would then hook nothing and
# silently do nothing. These name each block's attention and feed-forward layers.
TAYLORSEER_MODULES: dict[str, list[str]] = {
    "wan": [r"blocks\.\d+\.(attn1|attn2|ffn)"],
    "wan_animate": [r"blocks\.\d+\.(attn1|attn2|ffn)"],
    "ltx": [r"transformer_blocks\.\d+\.(attn1|attn2|ff)"],
    "cogvideox": [r"transformer_blocks\.\d+\.(attn1|ff)"],
    # The video and audio streams' own attention and feed-forward, and their cross-attention.
    "ltx2": [
        r"transformer_blocks\.\d+\.(attn1|attn2|ff|audio_attn1|audio_attn2|audio_ff"
        r"|audio_to_video_attn|video_to_audio_attn)"
    ],
    "hunyuan15": [r"transformer_blocks\.\d+\.(attn|ff|ff_context)"],
    "skyreels": [r"blocks\.\d+\.(attn1|attn2|ffn)"],
    "wan_vace": [r"blocks\.\d+\.(attn1|attn2|ffn)"],
}

# quantisation choice -> (Python package, diffusers quant_backend, its kwargs)
QUANTIZATION_BACKENDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "torchao-int8": ("torchao", "torchao", {"quant_type": "int8wo"}),
    "bnb-8bit": ("bitsandbytes", "bitsandbytes_8bit", {"load_in_8bit": True}),
    "bnb-4bit": (
        "bitsandbytes",
        "bitsandbytes_4bit",
        {"load_in_4bit": True, "bnb_4bit_quant_type": "nf4"},
    ),
}


@dataclass(frozen=True)
class LoadTuning:
    """What is fixed when a pipeline loads (part of the loaded-pipeline cache key)."""

    compile: bool = False
    attention_backend: AttentionChoice = "default"
    quantization: QuantizationChoice = "none"


@dataclass(frozen=True)
class Acceleration:
    """The checked choices for one run: the step cache is applied per call."""

    cache: CacheChoice = "none"
    family: str = ""
    mag_ratios: tuple[float, ...] | None = None
    load: LoadTuning = LoadTuning()


NO_TUNING = LoadTuning()
"""The model as saved: default attention, no compile, no quantisation."""


def _refuse(message: str, *, param: str, from_setting: bool) -> ReelvaultError:
    if from_setting:
        return ConfigError(f"{message} (set by REELVAULT_DIFFUSERS_{param.upper()})", param=param)
    return ValidationError(message, param=param)


def _check_cache(
    model_id: str, family: str, cache: CacheChoice, settings: Settings, *, from_setting: bool
) -> None:
    if cache == "none":
        return
    supported = CACHES_BY_FAMILY.get(family, ())
    if cache not in supported:
        choices = ", ".join(("none", *supported))
        raise _refuse(
            f"model {model_id} ({family}) does not support cache {cache}; choose one of: {choices}",
            param="cache",
            from_setting=from_setting,
        )
    if cache == "mag" and not settings.diffusers_mag_ratios:
        raise _refuse(
            f"cache mag for model {model_id} needs magnitude ratios calibrated for that model "
            "(REELVAULT_DIFFUSERS_MAG_RATIOS); diffusers ships them for no video model",
            param="cache",
            from_setting=from_setting,
        )


def _check_attention(
    model_id: str, family: str, backend: AttentionChoice, *, from_setting: bool
) -> None:
    if backend != "default" and family not in ATTENTION_FAMILIES:
        families = ", ".join(sorted(ATTENTION_FAMILIES))
        raise _refuse(
            f"model {model_id} ({family}) cannot change its attention backend; only the "
            f"default (families that can: {families})",
            param="attention_backend",
            from_setting=from_setting,
        )


def _check_quantization(model_id: str, quantization: QuantizationChoice) -> None:
    if quantization == "none":
        return
    package = QUANTIZATION_BACKENDS[quantization][0]
    if find_spec(package) is None:
        raise ConfigError(
            f"quantization {quantization} for model {model_id} needs the {package} package, "
            f"which is not installed (pip install {package}), or set "
            "REELVAULT_DIFFUSERS_QUANTIZATION=none",
            param="quantization",
        )


def choose_acceleration(
    model_id: str,
    family: str,
    settings: Settings,
    *,
    cache: CacheChoice | None = None,
    compile: bool | None = None,
    attention_backend: AttentionChoice | None = None,
) -> Acceleration:
    """The request's choices over the settings, each checked against the model's family.

    A refused request choice is a ValidationError (422); a refused setting a ConfigError
    naming the setting.
    """
    chosen_cache = cache if cache is not None else settings.diffusers_cache
    _check_cache(model_id, family, chosen_cache, settings, from_setting=cache is None)
    backend = (
        attention_backend if attention_backend is not None else settings.diffusers_attention_backend
    )
    _check_attention(model_id, family, backend, from_setting=attention_backend is None)
    _check_quantization(model_id, settings.diffusers_quantization)
    ratios = settings.diffusers_mag_ratios
    return Acceleration(
        cache=chosen_cache,
        family=family,
        mag_ratios=tuple(ratios) if chosen_cache == "mag" and ratios else None,
        load=LoadTuning(
            compile=compile if compile is not None else settings.diffusers_compile,
            attention_backend=backend,
            quantization=settings.diffusers_quantization,
        ),
    )


def quantization_config(diffusers: Any, quantization: QuantizationChoice) -> Any:
    """diffusers' PipelineQuantizationConfig for the transformer, or None."""
    if quantization == "none":
        return None
    _package, backend, kwargs = QUANTIZATION_BACKENDS[quantization]
    return diffusers.PipelineQuantizationConfig(
        quant_backend=backend, quant_kwargs=dict(kwargs), components_to_quantize=["transformer"]
    )


def apply_load_tuning(pipeline: Any, tuning: LoadTuning) -> None:
    """Attention backend, then torch.compile, on the loaded pipeline's transformer."""
    transformer = pipeline.transformer
    if tuning.attention_backend != "default":
        try:
            transformer.set_attention_backend(tuning.attention_backend)
        except (RuntimeError, ValueError) as exc:
            # diffusers names the missing package (flash-attn, sageattention, ...).
            raise EngineError(
                f"attention backend {tuning.attention_backend} is not usable here: {exc}"
            ) from None
    if tuning.compile:
        # Compiling the repeated block compiles once and reuses it for every layer: far
        # quicker to warm up than the whole transformer.
        if getattr(transformer, "_repeated_blocks", None):
            transformer.compile_repeated_blocks(fullgraph=True)
        else:
            transformer.compile()


def cache_config(pipeline: Any, acceleration: Acceleration, steps: int) -> Any:
    """The diffusers cache config object for one call (None for no cache)."""
    # Typed as Any: diffusers.hooks re-exports its configs without __all__ entries.
    hooks: Any = import_module("diffusers.hooks")

    choice = acceleration.cache
    if choice == "first_block":
        return hooks.FirstBlockCacheConfig(threshold=0.05)
    if choice == "taylorseer":
        return hooks.TaylorSeerCacheConfig(
            cache_identifiers=TAYLORSEER_MODULES[acceleration.family]
        )
    if choice == "faster":
        return hooks.FasterCacheConfig(
            current_timestep_callback=lambda: pipeline.current_timestep,
            attention_weight_callback=lambda _module: 0.5,
        )
    if choice == "mag":
        return hooks.MagCacheConfig(
            mag_ratios=list(acceleration.mag_ratios or ()), num_inference_steps=steps
        )
    return None


@contextmanager
def step_cache(pipeline: Any, acceleration: Acceleration, steps: int) -> Iterator[None]:
    """The chosen cache's hooks on the transformer for the duration of one call.

    Applied per call, not at load: the same loaded pipeline then serves requests with
    different caches (or none), and MagCache's ratios follow each call's step count.
    """
    config = cache_config(pipeline, acceleration, steps)
    if config is None:
        yield
        return
    transformer = pipeline.transformer
    transformer.enable_cache(config)
    try:
        yield
    finally:
        transformer.disable_cache()


CACHE_CHOICES: tuple[str, ...] = get_args(CacheChoice)
ATTENTION_CHOICES: tuple[str, ...] = get_args(AttentionChoice)
QUANTIZATION_CHOICES: tuple[str, ...] = get_args(QuantizationChoice)

__all__ = [
    "ATTENTION_CHOICES",
    "CACHES_BY_FAMILY",
    "CACHE_CHOICES",
    "QUANTIZATION_CHOICES",
    "Acceleration",
    "AttentionChoice",
    "CacheChoice",
    "NO_TUNING",
    "LoadTuning",
    "QuantizationChoice",
    "apply_load_tuning",
    "cache_config",
    "choose_acceleration",
    "quantization_config",
    "step_cache",
]
