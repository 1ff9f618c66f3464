"""Hugging Face diffusers video models (Sana-Video, Wan, LTX-Video, LTX-2, HunyuanVideo 1.5,
SkyReels-V2, CogVideoX, Wan-Animate).

Importing this package does not import torch or diffusers; the engine does so when it
runs, and names the ``reelvault[diffusers]`` extra if they are missing.
"""

from __future__ import annotations

from reelvault.engines.diffusers.catalogue import ModelSpec, catalogue, find_model
from reelvault.engines.diffusers.engine import DiffusersEngine, DiffusersParams

ENGINE_NAME = DiffusersEngine.name


__all__ = [
    "ENGINE_NAME",
    "DiffusersEngine",
    "DiffusersParams",
    "ModelSpec",
    "catalogue",
    "find_model",
]
