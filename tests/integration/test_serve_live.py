"""``reelvault serve`` as a user runs it: worker processes, a real job, a clean shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_runs_jobs_in_worker_processes_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELVAULT_")}
    env.update(REELVAULT_DATA_DIR=str(tmp_path), REELVAULT_POLL_SECONDS="0.1")
    server = subprocess.Popen(
        [sys.executable, "-m", "reelvault.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.2)
        else:
            raise AssertionError("the server never became ready")
        job = httpx.post(
            f"{base}/api/v1/jobs",
            json={"prompt": "a kite over the hills", "size": "320x180", "seconds": 1},
        ).json()
        while time.monotonic() < deadline:
            status = httpx.get(f"{base}/api/v1/jobs/{job['id']}").json()["status"]
            if status in ("completed", "failed"):
                break
            time.sleep(0.2)
        assert status == "completed"
        video = httpx.get(f"{base}/api/v1/jobs/{job['id']}/content")
        assert video.content[4:8] == b"ftyp"
        docs = httpx.get(f"{base}/openapi.json").json()
        assert "/v1/videos" in docs["paths"] and "/api/v1/jobs" in docs["paths"]
    finally:
        server.send_signal(signal.SIGTERM)
        _out, err = server.communicate(timeout=60)
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says so.
    assert server.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete" in err
    assert "kite" not in err  # no prompt in the logs
    assert "127.0.0.1:" not in err.replace(f"127.0.0.1:{port}", "")  # no client addresses
