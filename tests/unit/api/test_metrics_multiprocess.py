"""Jobs run by worker *processes* show in the API's scrape (prometheus_client multiprocess
mode), and stay counted after the worker that ran them dies and is replaced."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.testing import settings_for

from .conftest import wait_for
from .test_metrics import scrape, value

# The procedural engine: what `reelvault serve`'s workers load without any test hook.
JOB = {"engine": "procedural", "prompt": "a red kite", "size": "96x64", "fps": 8, "seconds": 1}


def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.1)


def test_worker_processes_are_counted_in_the_api_scrape(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, workers=2)
    runtime = open_runtime(settings)
    app = create_app(settings, runtime=runtime, worker_mode="process")
    try:
        with TestClient(app) as client:
            pool = app.state.ctx.workers_alive.__self__.pool
            metrics_dir = pool.metrics_dir
            assert metrics_dir is not None and metrics_dir.is_relative_to(settings.data_dir)
            ids = [client.post("/api/v1/jobs", json=JOB).json()["id"] for _ in range(3)]
            assert all(wait_for(client, job_id)["status"] == "completed" for job_id in ids)
            samples = scrape(client)
            finished = "reelvault_jobs_finished_total"
            assert value(samples, finished, engine="procedural", state="completed") == 3
            duration = "reelvault_job_duration_seconds"
            labels = {"engine": "procedural", "state": "completed"}
            assert value(samples, f"{duration}_count", **labels) == 3
            assert value(samples, f"{duration}_bucket", le="+Inf", **labels) == 3
            assert (
                value(samples, "reelvault_job_queue_wait_seconds_count", engine="procedural") == 3
            )
            assert value(samples, "reelvault_encode_seconds_count", format="mp4") == 3
            # Recorded by the workers, not by this process: its own values are empty.
            assert not list(runtime.metrics.jobs_finished.collect()[0].samples)
            assert {path.name.split("_")[0] for path in metrics_dir.iterdir()} >= {
                "counter",
                "histogram",
            }

            # Both workers die (SIGKILL) and are replaced: what they counted still counts,
            # folded into one archive file per type instead of a file per dead process.
            victims = [process.pid for process in pool.processes]
            for pid in victims:
                os.kill(pid, signal.SIGKILL)
            _until(lambda: pool.restarts == 2 and pool.alive() == 2, 30)
            after = scrape(client)
            assert value(after, finished, engine="procedural", state="completed") == 3
            assert value(after, f"{duration}_bucket", le="+Inf", **labels) == 3
            assert value(after, "reelvault_workers_alive") == 2
            names = {path.name for path in metrics_dir.iterdir()}
            assert {"counter_dead.db", "histogram_dead.db"} <= names
            assert not [name for name in names for pid in victims if f"_{pid}.db" in name]
        # The pool's folder goes with the pool.
        assert not metrics_dir.exists()
    finally:
        runtime.close()
