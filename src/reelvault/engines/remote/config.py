"""What the remote engine needs from the deployment's settings, read defensively.

The fields live in :class:`reelvault.config.Settings` (``REELVAULT_FAL_KEY`` and so on);
this dataclass is built from whatever a given Settings has, with safe defaults, so the
engine works with older settings objects too and tests can point it at local servers.
Keys stay :class:`~pydantic.SecretStr`: their repr is ``SecretStr('**********')``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

FAL_QUEUE_URL = "https://queue.fal.run"
REPLICATE_API_URL = "https://api.replicate.com/v1"


def _secret(value: Any) -> SecretStr | None:
    if value is None:
        return None
    secret = value if isinstance(value, SecretStr) else SecretStr(str(value))
    return secret if secret.get_secret_value().strip() else None


@dataclass(frozen=True)
class RemoteConfig:
    """Provider endpoints, keys and the limits every remote call runs under."""

    fal_key: SecretStr | None = None
    fal_queue_url: str = FAL_QUEUE_URL
    replicate_api_token: SecretStr | None = None
    replicate_api_url: str = REPLICATE_API_URL
    comfyui_url: str | None = None
    comfyui_workflow: Path | None = None
    comfyui_mapping: Mapping[str, str] = field(default_factory=dict)
    comfyui_is_own_server: bool = False
    #: Overall deadline of one job at a provider (submit, queue, run, download).
    timeout_seconds: float = 900.0
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    poll_seconds: float = 1.0
    #: The longest a 429's Retry-After is honoured before the job fails.
    max_retry_after: float = 60.0
    #: Allow provider-returned URLs on loopback/private addresses (tests, LAN setups).
    allow_private: bool = False
    max_download_bytes: int = 1024 * 1024 * 1024
    #: Replicate inputs larger than this go through its Files API (then deleted).
    replicate_max_data_uri_bytes: int = 1024 * 1024
    #: Where in-flight request ids are noted so a retry can cancel a dead attempt's.
    ledger_dir: Path | None = None

    @property
    def fal_enabled(self) -> bool:
        return self.fal_key is not None

    @property
    def replicate_enabled(self) -> bool:
        return self.replicate_api_token is not None

    @property
    def comfyui_enabled(self) -> bool:
        return bool(self.comfyui_url) and self.comfyui_workflow is not None

    @classmethod
    def from_settings(cls, settings: Any) -> RemoteConfig:
        """Read the remote fields of ``settings``; any that is missing keeps its default."""

        def get(name: str, default: Any) -> Any:
            value = getattr(settings, name, None)
            return default if value is None else value

        data_dir = getattr(settings, "data_dir", None)
        workflow = getattr(settings, "comfyui_workflow", None)
        mapping = get("comfyui_mapping", {})
        return cls(
            fal_key=_secret(getattr(settings, "fal_key", None)),
            fal_queue_url=str(get("fal_queue_url", FAL_QUEUE_URL)).rstrip("/"),
            replicate_api_token=_secret(getattr(settings, "replicate_api_token", None)),
            replicate_api_url=str(get("replicate_api_url", REPLICATE_API_URL)).rstrip("/"),
            comfyui_url=(str(getattr(settings, "comfyui_url", None) or "").rstrip("/") or None),
            comfyui_workflow=Path(workflow).expanduser() if workflow else None,
            comfyui_mapping={str(key): str(value) for key, value in dict(mapping).items()},
            comfyui_is_own_server=bool(get("comfyui_is_own_server", False)),
            timeout_seconds=float(get("remote_timeout_seconds", 900.0)),
            allow_private=bool(get("remote_allow_private", False)),
            ledger_dir=Path(data_dir) / "remote-requests" if data_dir is not None else None,
        )


__all__ = ["FAL_QUEUE_URL", "REPLICATE_API_URL", "RemoteConfig"]
