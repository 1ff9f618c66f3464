"""Remote providers (fal.ai, Replicate, ComfyUI) behind the owner's explicit opt-in."""

from __future__ import annotations

from reelvault.engines.remote.config import RemoteConfig
from reelvault.engines.remote.engine import (
    Outbound,
    RemoteEngine,
    RemoteParams,
    parse_target,
    processors,
)

__all__ = ["Outbound", "RemoteConfig", "RemoteEngine", "RemoteParams", "parse_target", "processors"]
