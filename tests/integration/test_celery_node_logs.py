"""A Celery worker node keeps ``log_format`` and keeps the broker password out of its output.

Celery asks for logging to be set up when its worker starts; reelvault answers that
signal with its own handler, and the answer must keep the deployment's ``log_format``:
a node of a ``log_format = "json"`` deployment that wrote text lines would break the
log shipper that reads them. The broker here is a port nothing listens on, so the node's
consumer logs connection errors (third-party records, naming the broker URL) at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.celery_nodes import celery_settings, node_env
from tests.services import AMQP_URL, free_port, require_tcp

pytest.importorskip("celery")

PASSWORD = "hunter2-broker-secret"


def _node_output(tmp_path: Path, seconds: float) -> str:
    settings = celery_settings(tmp_path, f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0")
    env = {**node_env(settings), "REELVAULT_LOG_FORMAT": "json", "REELVAULT_LOG_LEVEL": "INFO"}
    log = tmp_path / "node.log"
    with log.open("wb") as output:
        node = subprocess.Popen(
            [sys.executable, "-m", "reelvault.cli.main", "worker", "--engines", "procedural"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and b"celery.worker" not in log.read_bytes():
                time.sleep(0.2)
        finally:
            os.killpg(node.pid, signal.SIGTERM)
            try:
                node.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait(10)
    return log.read_text(errors="replace")


@pytest.mark.slow
def test_a_celery_node_writes_json_log_lines_without_the_broker_password(
    tmp_path: Path,
) -> None:
    output = _node_output(tmp_path, 30)
    assert PASSWORD not in output
    records = []
    for line in output.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
        else:
            # Celery's banner and shutdown notices are printed, not logged; a line that
            # starts with a level name is a log record written as text.
            assert not line.startswith(("DEBUG ", "INFO ", "WARNING ", "ERROR ", "CRITICAL ")), line
    assert any(str(record.get("logger", "")).startswith("celery.") for record in records), output


@pytest.mark.slow
def test_a_node_the_broker_refuses_exits_with_a_failure_status(tmp_path: Path) -> None:
    """RabbitMQ refuses a wrong password: Celery gives up, and the node's exit status
    must say so (a supervisor restarting failures only would otherwise leave it down)."""
    require_tcp("RabbitMQ", AMQP_URL, 5672)
    wrong = AMQP_URL.replace("guest:guest@", f"guest:{PASSWORD}@")
    assert wrong != AMQP_URL
    settings = celery_settings(tmp_path, wrong)
    log = tmp_path / "node.log"
    with log.open("wb") as output:
        node = subprocess.Popen(
            [sys.executable, "-m", "reelvault.cli.main", "worker", "--engines", "procedural"],
            env=node_env(settings),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status = node.wait(45)
        finally:
            if node.poll() is None:
                os.killpg(node.pid, signal.SIGKILL)
                node.wait(10)
    output_text = log.read_text(errors="replace")
    assert status != 0, output_text
    assert PASSWORD not in output_text
