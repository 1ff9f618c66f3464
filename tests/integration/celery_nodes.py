"""Celery worker nodes as real subprocesses (``reelvault worker`` with queue=celery).

Each test gets its own queue prefix, so tests sharing the machine's Redis and RabbitMQ
never take each other's messages; its queues are deleted afterwards.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reelvault.config import Settings
from reelvault.testing import settings_for

# Fast leases and passes so a dead node's job comes back within seconds.
FAST = {
    "lease_seconds": 2.0,
    "heartbeat_seconds": 0.3,
    "poll_seconds": 0.1,
    "celery_republish_after_seconds": 1.0,
}


def celery_settings(tmp_path: Path, broker_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "queue": "celery",
        "broker_url": broker_url,
        "celery_queue_prefix": "rvtest-" + secrets.token_hex(4),
        **FAST,
        **overrides,
    }
    return settings_for(tmp_path, **values)


def node_env(settings: Settings) -> dict[str, str]:
    """The environment of a worker node with the same deployment as ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("REELVAULT_")}
    env.update(
        REELVAULT_DATA_DIR=str(settings.data_dir),
        REELVAULT_DATABASE_URL=settings.resolved_database_url,
        REELVAULT_QUEUE=settings.queue,
        REELVAULT_CELERY_QUEUE_PREFIX=settings.celery_queue_prefix,
        REELVAULT_LEASE_SECONDS=str(settings.lease_seconds),
        REELVAULT_HEARTBEAT_SECONDS=str(settings.heartbeat_seconds),
        REELVAULT_POLL_SECONDS=str(settings.poll_seconds),
        REELVAULT_CELERY_REPUBLISH_AFTER_SECONDS=str(settings.celery_republish_after_seconds),
        REELVAULT_REMOTE_TIMEOUT_SECONDS=str(settings.remote_timeout_seconds),
        REELVAULT_BROKER_VISIBILITY_TIMEOUT_SECONDS=str(settings.broker_visibility_timeout_seconds),
    )
    if settings.broker_url is not None:
        env["REELVAULT_BROKER_URL"] = settings.broker_url.get_secret_value()
    if settings.scratch_root is not None:
        env["REELVAULT_SCRATCH_ROOT"] = str(settings.scratch_root)
    if settings.blob_store is not None:  # the vault in a bucket: the node needs it too
        env["REELVAULT_BLOB_STORE"] = settings.blob_store
        env["REELVAULT_S3_ADDRESSING_STYLE"] = settings.s3_addressing_style
        for name in ("s3_region", "s3_access_key_id"):
            if getattr(settings, name) is not None:
                env[f"REELVAULT_{name.upper()}"] = str(getattr(settings, name))
        if settings.s3_secret_access_key is not None:
            secret = settings.s3_secret_access_key.get_secret_value()
            env["REELVAULT_S3_SECRET_ACCESS_KEY"] = secret
    return env


def start_node(
    settings: Settings,
    engines: str,
    *,
    concurrency: int = 1,
    log: Path | None = None,
    extra: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:
    """``reelvault worker --engines ENGINES --concurrency N`` in its own process group (so
    a SIGKILL of the group is a machine going away: the node and its pool children)."""
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reelvault.cli.main",
            "worker",
            "--engines",
            engines,
            "--concurrency",
            str(concurrency),
            *extra,
        ],
        env=node_env(settings),
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_node(node: subprocess.Popen[bytes]) -> None:
    """SIGKILL the node and its pool children at once."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(node.pid, signal.SIGKILL)
    node.wait(10)


def stop_node(node: subprocess.Popen[bytes], seconds: float = 90.0) -> bool:
    """SIGTERM the node's group as a service manager does; True when it ended by itself
    (False: it was still running after ``seconds`` and was killed, skipping its clean-up).
    The wait is long because a loaded CI machine is slow to wind a pool down."""
    if node.poll() is not None:
        return True
    os.killpg(node.pid, signal.SIGTERM)
    try:
        node.wait(seconds)
    except subprocess.TimeoutExpired:
        kill_node(node)
        return False
    return True


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {seconds} s")


def delete_queues(settings: Settings, engines: list[str]) -> None:
    """Remove this test's queues from the broker (RabbitMQ keeps them otherwise)."""
    from reelvault.jobs.queue.celery_app import make_celery_app, queue_name

    app = make_celery_app(settings)
    try:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            for engine in engines:
                with contextlib.suppress(Exception):
                    channel.queue_delete(queue_name(settings, engine))
    finally:
        app.close()


def _decoded(value: bytes) -> Iterator[bytes]:
    """A stored value and, for a kombu message envelope, its decoded body (kombu keeps
    bodies base64-encoded inside JSON: a plain byte search would miss a prompt there)."""
    yield value
    try:
        envelope = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return
    items = envelope if isinstance(envelope, list) else [envelope]
    for item in items:
        if isinstance(item, str):
            yield from _decoded(item.encode())
        elif isinstance(item, dict) and isinstance(item.get("body"), str):
            yield item["body"].encode()
            with contextlib.suppress(ValueError):
                yield base64.b64decode(item["body"])


def redis_contents(url: str) -> list[bytes]:
    """Every key, raw value (SCAN + DUMP) and readable value of the Redis database."""
    import redis

    client = redis.Redis.from_url(url)
    found: list[bytes] = []
    try:
        for key in client.scan_iter(count=1000):
            found.append(key)
            dumped = client.dump(key)
            if dumped is not None:
                found.append(dumped)
            kind = client.type(key)
            values: list[bytes] = []
            if kind == b"string":
                values = [client.get(key) or b""]
            elif kind == b"list":
                values = list(client.lrange(key, 0, -1))
            elif kind == b"hash":
                values = [part for pair in client.hgetall(key).items() for part in pair]
            elif kind == b"set":
                values = list(client.smembers(key))
            elif kind == b"zset":
                values = list(client.zrange(key, 0, -1))
            for value in values:
                found.extend(_decoded(value))
    finally:
        client.close()
    return found


__all__ = [
    "celery_settings",
    "delete_queues",
    "kill_node",
    "node_env",
    "redis_contents",
    "start_node",
    "stop_node",
    "wait_for",
]
