"""Settings: ``REELVAULT_*`` environment variables over an optional TOML file over defaults.

Settings are built once by the entry point (CLI, app factory, worker) with
:func:`load_settings` and passed down; nothing reads them at import time.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from reelvault.config_accounts import AccountSettings
from reelvault.config_billing import BillingSettings
from reelvault.config_diffusers import DiffusersSettings
from reelvault.config_moderation import ModerationSettings
from reelvault.errors import ConfigError

BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp", "sentinel")
"""The Celery broker transports broker_url may name (Redis and RabbitMQ, with TLS)."""

ENV_PREFIX = "REELVAULT_"
CONFIG_FILE_ENV = "REELVAULT_CONFIG"


@functools.lru_cache(maxsize=64)
def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (``127.0.0.0/8``, ``::1``).

    Cached: every anonymous request asks (keyless mode needs a loopback bind).
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("reelvault", appauthor=False))


RAM_BACKED_DIR = Path("/dev/shm")  # noqa: S108 - a tmpfs on Linux, checked before use


def default_scratch_root(data_dir: Path) -> Path:
    """A scratch root in memory where the system has one, else in the system temp folder.

    Decrypted inputs and rendered frames live there while a job runs. In RAM they never
    reach a disk, so neither a backup of ``data_dir`` nor the disk's free blocks can hold
    them after the job. Each data directory gets its own folder (named by a hash of its
    path), inside a per-user folder that only its owner may enter.
    """
    base = RAM_BACKED_DIR
    if not (base.is_dir() and os.access(base, os.W_OK | os.X_OK)):
        base = Path(tempfile.gettempdir())
    user = os.getuid() if hasattr(os, "getuid") else os.getlogin()  # no uids on Windows
    deployment = hashlib.sha256(str(data_dir.expanduser().absolute()).encode()).hexdigest()[:16]
    return base / f"reelvault-{user}" / deployment


class Settings(AccountSettings, BillingSettings, DiffusersSettings, ModerationSettings):
    """Every knob of a deployment. Each field is ``REELVAULT_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        validate_default=True,
        frozen=True,
    )

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the database, the encrypted vault, the key file and scratch space live.",
    )
    policy: str = Field(
        default="ephemeral",
        description=(
            "A built-in policy profile (ephemeral, standard, library) "
            "or a path to a policy YAML file."
        ),
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite (WAL) at <data_dir>/reelvault.db. "
        "PostgreSQL: postgresql+psycopg://USER@HOST/DB (install reelvault[scale]).",
    )
    database_pool_size: int = Field(
        default=5,
        ge=1,
        le=200,
        description="PostgreSQL: connections each process keeps open (workers use one each).",
    )
    database_max_overflow: int = Field(
        default=10,
        ge=0,
        le=200,
        description="PostgreSQL: extra connections a process may open under load.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="Key-encryption key, base64 of 32 bytes. When unset, a key file is used.",
    )
    key_file: Path | None = Field(
        default=None,
        description=(
            "Key-encryption key file (created with mode 0600 on first run); "
            "default <data_dir>/master.key."
        ),
    )
    scratch_root: Path | None = Field(
        default=None,
        description=(
            "Where jobs get their private scratch directories (decrypted inputs, rendered "
            "frames); default: a RAM-backed folder (/dev/shm) where one exists, else the "
            "system temp folder, so plaintext never reaches the disk that backups copy."
        ),
    )
    blob_store: str | None = Field(
        default=None,
        description=(
            "Where vault ciphertext lives; default: files under <data_dir>/vault. "
            "S3-compatible: s3://BUCKET/PREFIX?endpoint_url=http://minio:9000 (install "
            "reelvault[scale]); data keys then live in the database. See docs/storage-s3.md."
        ),
    )
    s3_region: str | None = Field(
        default=None,
        max_length=64,
        description='S3 region (R2: "auto"); default: the AWS configuration\'s.',
    )
    s3_access_key_id: str | None = Field(
        default=None,
        max_length=256,
        description="S3 access key id; default: the AWS credential chain (env, role).",
    )
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="S3 secret access key (with s3_access_key_id)."
    )
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="auto",
        description="S3 bucket addressing: path (MinIO), virtual (AWS, R2, B2) or auto.",
    )
    s3_max_attempts: int = Field(
        default=5,
        ge=1,
        le=20,
        description="Tries per S3 request (first one included), with exponential backoff.",
    )
    s3_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, le=300, description="S3: seconds to wait for a connection."
    )
    s3_read_timeout_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="S3: seconds to wait for response bytes."
    )
    vault_segment_size: int = Field(
        default=1024 * 1024,
        ge=4096,
        le=64 * 1024 * 1024,
        description="Plaintext bytes per encrypted segment.",
    )
    max_prompt_chars: int = Field(
        default=2000, ge=1, le=100_000, description="Longest prompt accepted."
    )
    max_image_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest image upload, in bytes."
    )
    max_video_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="Largest video upload, in bytes."
    )
    workers: int = Field(default=1, ge=1, le=64, description="In-process job workers.")
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a worker's claim on a job lasts without a heartbeat.",
    )
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, description="How often a worker renews its lease."
    )
    poll_seconds: float = Field(
        default=0.5, gt=0, description="How often an idle worker looks for work."
    )
    max_attempts: int = Field(default=3, ge=1, le=20, description="Tries per job before it fails.")
    queue: Literal["database", "celery"] = Field(
        default="database",
        description=(
            "Where jobs wait: database (the jobs table; workers poll it) or celery "
            "(a message per job on broker_url, one queue per engine; install reelvault[scale])."
        ),
    )
    broker_url: SecretStr | None = Field(
        default=None,
        description=(
            "Celery broker for queue=celery: redis://HOST:6379/0 or "
            "amqp://USER:PASSWORD@HOST:5672// (RabbitMQ). Messages carry job ids only."
        ),
    )
    celery_queue_prefix: str = Field(
        default="reelvault",
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Broker queue names are PREFIX.ENGINE (one queue per engine family).",
    )
    broker_visibility_timeout_seconds: float = Field(
        default=10_800.0,
        gt=0,
        description=(
            "Redis: how long a delivered, unacknowledged job message waits before it is "
            "delivered again; must exceed the longest job (remote_timeout_seconds)."
        ),
    )
    celery_republish_after_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Jobs still queued this long after their message was sent are sent again "
            "(a broker restarted without persistence loses messages; duplicates are no-ops)."
        ),
    )
    sweep_interval_seconds: float = Field(
        default=300.0, gt=0, description="How often the retention sweeper runs."
    )
    orphan_grace_seconds: float = Field(
        default=3600.0,
        ge=60,
        description=(
            "How old a vault object that no row refers to (left by a crash) must be before "
            "the sweeper shreds it; work in flight writes its row well within this."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address `reelvault serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `reelvault serve` binds to.")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description=(
            "Host names the server answers to, besides localhost, 127.0.0.1, [::1], "
            "public_base_url's host and the bind address (*.example.com for subdomains)."
        ),
    )
    docs_enabled: bool = Field(
        default=True, description="Serve the interactive API docs (/docs, /openapi.json)."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description=(
            "Bearer token for /metrics and /readyz details once API keys exist "
            "(without it, only loopback clients see them)."
        ),
    )
    keep_alive_timeout_seconds: int = Field(
        default=5, ge=1, le=300, description="How long an idle keep-alive connection stays open."
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Longest a client may take to send a request's headers.",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description=(
            "Time a request body may take to arrive, beyond what its size needs at "
            "body_min_bytes_per_second."
        ),
    )
    body_min_bytes_per_second: int = Field(
        default=32 * 1024,
        ge=0,
        description=(
            "Slowest average upload rate allowed once body_timeout_seconds are spent (0: none)."
        ),
    )
    max_connections: int = Field(
        default=200,
        ge=1,
        description="Open connections and requests at once; beyond it the server answers 503.",
    )
    rate_limit_per_minute: int = Field(
        default=60, ge=0, description="Job submissions per owner per minute (0: no limit)."
    )
    anonymous_sessions: bool = Field(
        default=False,
        description=(
            "Give browsers without an API key a pseudonymous studio session on a server that "
            "has keys (limited per network address). Off: the studio asks for a key."
        ),
    )
    anonymous_sessions_per_hour: int = Field(
        default=20,
        ge=0,
        description="New anonymous studio sessions per network address per hour (0: no limit).",
    )
    anonymous_jobs_per_minute: int = Field(
        default=10,
        ge=0,
        description=(
            "Job submissions per network address per minute from anonymous sessions, "
            "on top of the per-owner limit (0: no limit)."
        ),
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhooks to loopback/private addresses (off: SSRF protection).",
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=50, description="Deliveries tried per webhook before giving up."
    )
    webhook_retry_base_seconds: float = Field(
        default=5.0, gt=0, description="First retry delay; doubles with each attempt."
    )
    public_base_url: str | None = Field(
        default=None,
        description="Public https URL of this deployment; links in e-mails point here.",
    )
    notify_send_per_minute: int = Field(
        default=60,
        ge=1,
        le=6000,
        description="Throttle of `reelvault notify send`: news e-mails per minute.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Reverse proxies (addresses or networks) whose X-Forwarded-For is believed.",
    )
    fal_key: SecretStr | None = Field(
        default=None,
        description="fal.ai API key; enables fal-ai/... models (owners opt in to provider:fal).",
    )
    fal_queue_url: str = Field(
        default="https://queue.fal.run", description="fal.ai queue API base URL."
    )
    replicate_api_token: SecretStr | None = Field(
        default=None,
        description="Replicate API token; enables replicate:OWNER/NAME models (opt-in needed).",
    )
    replicate_api_url: str = Field(
        default="https://api.replicate.com/v1", description="Replicate API base URL."
    )
    comfyui_url: str | None = Field(
        default=None,
        description="Base URL of a ComfyUI server (e.g. http://gpu-box:8188); enables comfyui.",
    )
    comfyui_workflow: Path | None = Field(
        default=None, description="ComfyUI workflow in API format (Save (API Format))."
    )
    comfyui_mapping: dict[str, str] = Field(
        default_factory=dict,
        description='Which node input takes each value, as role -> "NODE_ID.INPUT".',
    )
    comfyui_is_own_server: bool = Field(
        default=False,
        description="The ComfyUI server is the operator's own machine: no third-party consent.",
    )
    remote_timeout_seconds: float = Field(
        default=900.0, gt=0, le=7200, description="Longest a remote job may take at its provider."
    )
    remote_allow_private: bool = Field(
        default=False, description="Allow provider-returned URLs on loopback/private addresses."
    )
    international_transfers: str | None = Field(
        default=None,
        max_length=2000,
        description="Statement on international data transfers shown on /privacy.",
    )
    models_dir: Path | None = Field(
        default=None,
        description="Where `reelvault models pull` puts model weights; default <data_dir>/models.",
    )
    device: Literal["auto", "cuda", "mps", "cpu"] = Field(
        default="auto", description="Where neural engines run; auto picks cuda, then mps, then cpu."
    )
    vram_budget_gb: float | None = Field(
        default=None,
        gt=0,
        description="GPU memory the neural engines may use; picks offload/tiling modes to fit.",
    )
    provenance_dir: Path | None = Field(
        default=None,
        description="Content-credential signing certificate and key; default data_dir/provenance.",
    )
    watermark_secret: SecretStr | None = Field(
        default=None,
        description="Key of the invisible watermark; default: a key file in provenance_dir.",
    )
    provenance_dev_certificate: bool = Field(
        default=True,
        description="With no signing certificate in provenance_dir, create the development "
        "one (marked 'not trusted') on first use, so every output carries signed content "
        "credentials; false: outputs are only watermarked until a certificate is installed.",
    )
    visible_label: str = Field(
        default="off",
        max_length=64,
        description='Visible corner label on outputs: off, on ("AI-generated"), or your own text.',
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level (logs never contain personal data)."
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="Log lines as text, or as JSON objects (time, level, logger, message) "
        "for log shippers; either way without personal data.",
    )

    @field_validator(
        "data_dir",
        "key_file",
        "models_dir",
        "provenance_dir",
        "comfyui_workflow",
        "scratch_root",
        mode="after",
    )
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("blob_store", mode="after")
    @classmethod
    def _blob_store_url(cls, value: str | None) -> str | None:
        if not value or value in ("local", "file"):
            return None
        parts = urlsplit(value)
        if parts.scheme != "s3" or not parts.hostname:
            raise ValueError("give s3://BUCKET/PREFIX?endpoint_url=... (or leave unset)")
        if "@" in value:
            # Credentials in a URL end up in logs and `config show`: they have settings.
            raise ValueError("put credentials in s3_access_key_id/s3_secret_access_key")
        return value

    @field_validator("broker_url", mode="after")
    @classmethod
    def _broker_url_form(cls, value: SecretStr | None) -> SecretStr | None:
        # Kombu reads a value it cannot parse (no scheme, "redis:/" for "redis://") as a
        # RabbitMQ host name and prints it, password and all, in the worker's banner.
        # Refused here, without echoing the value.
        if value is None:
            return value
        scheme, separator, rest = value.get_secret_value().partition("://")
        if not separator or scheme not in BROKER_SCHEMES or not rest.strip("/"):
            raise ValueError(
                "broker_url must be a URL starting with "
                + ", ".join(f"{name}://" for name in BROKER_SCHEMES)
                + " (the value is not shown: it may hold a password)"
            )
        return value

    @field_validator("allowed_hosts", mode="after")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not entry.strip() or any(char in entry for char in "/@ "):
                raise ValueError("give host names (video.example.com, *.example.com), not URLs")
        return value

    @model_validator(mode="after")
    def _celery_settings(self) -> Settings:
        if self.queue == "celery" and self.broker_url is None:
            raise ValueError("queue=celery needs broker_url (redis://... or amqp://...)")
        # A message redelivered while its job still runs is a no-op (the claim fails), but
        # one redelivered in a loop would keep a worker slot busy for nothing.
        if self.broker_visibility_timeout_seconds <= self.remote_timeout_seconds:
            raise ValueError(
                "broker_visibility_timeout_seconds must exceed the longest job "
                f"(remote_timeout_seconds = {self.remote_timeout_seconds:g})"
            )
        return self

    @property
    def host_is_loopback(self) -> bool:
        """Whether ``host`` (the address `reelvault serve` binds to) is this machine only."""
        return is_loopback_host(self.host)

    @property
    def resolved_key_file(self) -> Path:
        return self.key_file if self.key_file is not None else self.data_dir / "master.key"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'reelvault.db'}"

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir if self.models_dir is not None else self.data_dir / "models"

    @property
    def resolved_provenance_dir(self) -> Path:
        if self.provenance_dir is not None:
            return self.provenance_dir
        return self.data_dir / "provenance"

    @property
    def vault_dir(self) -> Path:
        return self.data_dir / "vault"

    @property
    def scratch_dir(self) -> Path:
        """This deployment's scratch root: ``scratch_root`` or a RAM-backed default."""
        if self.scratch_root is not None:
            return self.scratch_root
        return default_scratch_root(self.data_dir)

    def censored(self) -> dict[str, Any]:
        """Settings safe to print: secrets replaced, nothing else hidden."""
        values = self.model_dump(mode="json")
        for secret in (
            "s3_secret_access_key",
            "master_key",
            "watermark_secret",
            "smtp_password",
            "metrics_token",
            "fal_key",
            "replicate_api_token",
            "broker_url",
        ):
            if values.get(secret) is not None:
                values[secret] = "**********"
        return values


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    # Accept either top-level keys or a [reelvault] table.
    section = data.get("reelvault", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [reelvault] must be a table")
    return section


def _set_in_environment(field: str) -> bool:
    wanted = (ENV_PREFIX + field).upper()
    return any(key.upper() == wanted for key in os.environ)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings: explicit overrides > environment > TOML file > defaults.

    Raises :class:`ConfigError` naming the offending setting when anything is invalid.
    """
    if config_file is None and os.environ.get(CONFIG_FILE_ENV):
        config_file = Path(os.environ[CONFIG_FILE_ENV])
    values: dict[str, Any] = {}
    if config_file is not None:
        for key, value in _read_config_file(config_file).items():
            if not _set_in_environment(key):
                values[key] = value
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "settings"
        raise ConfigError(
            f"invalid setting {field} ({ENV_PREFIX}{field.upper()}): {first['msg']}",
            param=field,
        ) from None


__all__ = ["Settings", "default_data_dir", "is_loopback_host", "load_settings"]
