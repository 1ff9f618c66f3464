"""Settings of the diffusers engine's speed-ups: step caches, torch.compile, attention
backend and weight quantisation.

A part of :class:`reelvault.config.Settings` (which inherits these fields), kept in its
own module so that each stays small. The engine checks each choice against the model's
family when a job runs (engines/diffusers/acceleration.py): a model that cannot take
a setting's value is refused with the choices it supports.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

CacheChoice = Literal["none", "first_block", "faster", "taylorseer", "mag"]
AttentionChoice = Literal[
    "default",
    "native",
    "flash",
    "flash_varlen",
    "_flash_3",
    "_native_cudnn",
    "_native_efficient",
    "_native_flash",
    "_native_math",
    "flex",
    "sage",
    "sage_varlen",
    "xformers",
]
"""diffusers' attention backends, less the ``*_hub`` ones: those download kernels at run
time, and the engine never fetches anything while it runs."""
QuantizationChoice = Literal["none", "torchao-int8", "bnb-8bit", "bnb-4bit"]


class DiffusersSettings(BaseSettings):
    diffusers_cache: CacheChoice = Field(
        default="none",
        description="Step cache of the diffusers transformer: none, first_block, faster, "
        "taylorseer or mag (faster output, small quality cost; not every model takes each).",
    )
    diffusers_mag_ratios: list[float] | None = Field(
        default=None,
        min_length=2,
        description="MagCache magnitude ratios calibrated for your model (JSON list); "
        "cache=mag needs them.",
    )
    diffusers_compile: bool = Field(
        default=False,
        description="torch.compile the transformer (slow first run per shape, faster after).",
    )
    diffusers_attention_backend: AttentionChoice = Field(
        default="default",
        description="diffusers attention backend (flash, sage, xformers, ... need their "
        "package); default: the model's own.",
    )
    diffusers_quantization: QuantizationChoice = Field(
        default="none",
        description="Quantise the transformer's weights as it loads: torchao-int8, bnb-8bit "
        "or bnb-4bit (needs torchao or bitsandbytes installed).",
    )
