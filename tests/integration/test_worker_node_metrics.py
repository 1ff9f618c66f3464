"""A worker node's jobs reach Prometheus: ``reelvault worker --metrics-listen HOST:PORT``
serves the counters of every process of the node (database queue, one process or a
supervised pool, and a Celery node with its prefork children)."""

from __future__ import annotations

import contextlib
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.config import Settings
from reelvault.testing import settings_for
from tests.integration.celery_nodes import (
    FAST,
    celery_settings,
    delete_queues,
    start_node,
    stop_node,
    wait_for,
)
from tests.services import REDIS_URL, free_port, require_tcp

JOB = {"engine": "procedural", "prompt": "a red kite", "size": "96x64", "fps": 8, "seconds": 1}
FINISHED = 'reelvault_jobs_finished_total{engine="procedural",state="completed"}'


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text: str = answer.read().decode()
        return text


def _finished(port: int) -> float:
    with contextlib.suppress(OSError):
        for line in _scrape(port).splitlines():
            if line.startswith(FINISHED):
                return float(line.split()[-1])
    return 0.0


def _run_jobs_on_a_node(settings: Settings, concurrency: int, count: int) -> None:
    port = free_port()
    node = start_node(
        settings,
        "procedural",
        concurrency=concurrency,
        log=settings.data_dir.parent / "node.log",
        extra=("--metrics-listen", f"127.0.0.1:{port}"),
    )
    runtime = open_runtime(settings)
    try:
        app = create_app(settings, runtime=runtime, worker_mode="none")
        with TestClient(app) as client:
            for _ in range(count):
                assert client.post("/api/v1/jobs", json=JOB).status_code == 201
            wait_for(lambda: _finished(port) == count, 120, "the node's scrape counts the jobs")
            text = _scrape(port)
            assert "a red kite" not in text
            # The API node's own scrape does not count them: the node's endpoint is where.
    finally:
        stopped = stop_node(node)
        runtime.close()
    log = (settings.data_dir.parent / "node.log").read_text(errors="replace")[-3000:]
    assert stopped, f"the node did not end within 90 s of SIGTERM; its log:\n{log}"
    left = list((settings.data_dir / "run").glob("prometheus-*"))
    contents = [sorted(p.name for p in folder.iterdir()) for folder in left]
    assert not left, f"folder left behind, holding {contents}; the node's log:\n{log}"


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_database_queue_node_serves_its_jobs_metrics(tmp_path: Path, concurrency: int) -> None:
    settings = settings_for(tmp_path, **FAST)
    _run_jobs_on_a_node(settings, concurrency, 3)


def test_a_celery_node_serves_its_prefork_childrens_metrics(tmp_path: Path) -> None:
    require_tcp("Redis", REDIS_URL, 6379)
    settings = celery_settings(tmp_path, REDIS_URL)
    try:
        _run_jobs_on_a_node(settings, 2, 3)
    finally:
        delete_queues(settings, ["procedural"])


def test_a_malformed_listen_address_is_refused(tmp_path: Path) -> None:
    from tests.cli_helpers import run_cli

    refused = run_cli("worker", "--metrics-listen", "nowhere:port", data_dir=tmp_path)
    assert refused.returncode != 0 and "HOST:PORT" in refused.stderr
