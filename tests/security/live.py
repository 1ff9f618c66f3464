"""`reelvault serve` in a subprocess on a free loopback port, as a user starts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve(data_dir: Path, **settings: str) -> Iterator[tuple[str, int]]:
    """Yield (base URL, port); ``settings`` become ``REELVAULT_<NAME>`` variables."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELVAULT_")}
    env.update(REELVAULT_DATA_DIR=str(data_dir), REELVAULT_POLL_SECONDS="0.1")
    env.update({f"REELVAULT_{name.upper()}": value for name, value in settings.items()})
    server = subprocess.Popen(
        [sys.executable, "-m", "reelvault.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.2)
        else:
            raise AssertionError("the server never became ready")
        yield base, port
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)


__all__ = ["free_port", "serve"]
