"""Prometheus metrics recorded when things happen, so a scrape never reads history.

Counters and histograms are updated at the moment a job changes state (claimed, ended),
an output is encoded, an upload is stored or a webhook is tried. A scrape then only
reads these few numbers, plus a handful of gauges the API asks the database for with
one indexed query over the jobs that are still queued or running: it costs the same
after a million jobs as after ten.

Each :class:`~reelvault.runtime.Runtime` owns one :class:`JobMetrics` with its own
registry (so two apps in one process, as in the tests, never collide). Worker
*processes* cannot share memory with the API: they run in prometheus_client's
multiprocess mode, each writing its values to memory-mapped files in a folder the
supervisor prepares before it starts them (:func:`prepare_multiprocess_dir`); the API
adds those files to its own values at scrape time (:func:`collect`). Only label values
we choose (engine names, states, formats) are ever written there, never user data.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.metrics_core import Metric
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.samples import Sample

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Where prometheus_client's multiprocess mode keeps a process's files."""

MULTIPROC_PREFIX = "prometheus-"
"""Folders under ``<data_dir>/run``: ``prometheus-<pid of the supervisor>-<random>``."""

QUEUE_WAIT_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
RUN_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
ENCODE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

T = TypeVar("T")


class JobMetrics:
    """The counters and histograms of one runtime (one process's share of them)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.jobs_finished = Counter(
            "reelvault_jobs_finished",
            "Jobs that reached an end state, by engine and state.",
            ["engine", "state"],
            registry=registry,
        )
        self.queue_wait = Histogram(
            "reelvault_job_queue_wait_seconds",
            "Seconds from submission until a worker first claimed the job.",
            ["engine"],
            buckets=QUEUE_WAIT_BUCKETS,
            registry=registry,
        )
        self.run_time = Histogram(
            "reelvault_job_duration_seconds",
            "Seconds from a worker's claim to the job's end, by engine and end state.",
            ["engine", "state"],
            buckets=RUN_BUCKETS,
            registry=registry,
        )
        self.encode_time = Histogram(
            "reelvault_encode_seconds",
            "Seconds spent encoding an output (the engine's rendering not included).",
            ["format"],
            buckets=ENCODE_BUCKETS,
            registry=registry,
        )
        self.upload_bytes = Counter(
            "reelvault_upload_bytes",
            "Bytes of uploads stored (encrypted) in the vault, by kind of media.",
            ["kind"],
            registry=registry,
        )
        self.webhook_deliveries = Counter(
            "reelvault_webhook_deliveries",
            "Webhook delivery attempts by result: delivered, retry (will be tried again), "
            "failed (given up).",
            ["result"],
            registry=registry,
        )

    def job_claimed(self, engine: str, waited_s: float) -> None:
        self.queue_wait.labels(engine=engine).observe(max(0.0, waited_s))

    def job_finished(self, engine: str, state: str, ran_s: float | None) -> None:
        self.jobs_finished.labels(engine=engine, state=state).inc()
        if ran_s is not None:
            self.run_time.labels(engine=engine, state=state).observe(max(0.0, ran_s))

    def encoded(self, fmt: str, seconds: float) -> None:
        self.encode_time.labels(format=fmt).observe(max(0.0, seconds))

    def upload_stored(self, kind: str, size: int) -> None:
        self.upload_bytes.labels(kind=kind).inc(size)

    def webhook_attempted(self, result: str) -> None:
        self.webhook_deliveries.labels(result=result).inc()


class UpstreamTimer:
    """Times how long an iterator's producer takes, so a consumer can subtract it.

    The encoder pulls frames from the engine as it goes: the encode step's wall time minus
    the time spent waiting for frames is the encoding's own cost.
    """

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        iterator = iter(items)
        while True:
            started = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                self.seconds += time.perf_counter() - started
                return
            self.seconds += time.perf_counter() - started
            yield item


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare_multiprocess_dir(data_dir: Path) -> Path:
    """A new, empty folder for one pool's workers, made before any of them starts.

    Named ``<data_dir>/run/prometheus-<pid>-<random>`` (one per pool: a process may start
    several). The folders of supervisors that are gone are removed here, so counters
    start again from zero with each start of the server (Prometheus' ``rate()`` and
    ``increase()`` handle such resets).
    """
    run = data_dir / "run"
    if run.is_dir():
        for entry in run.iterdir():
            pid = entry.name.removeprefix(MULTIPROC_PREFIX).split("-")[0]
            if entry.name.startswith(MULTIPROC_PREFIX) and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(entry, ignore_errors=True)
    path = run / f"{MULTIPROC_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    path.mkdir(parents=True, mode=0o700)
    return path


def remove_multiprocess_dir(path: Path, attempts: int = 5) -> None:
    """Remove a pool's folder; try again when a late writer (a worker's last counter, the
    supervisor folding a dead worker's file) added a file while it was being removed."""
    for _ in range(attempts):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
        time.sleep(0.05)


def join_multiprocess(path: Path) -> None:
    """Make this (worker) process keep its metrics in files under ``path``.

    Called first thing in a worker process, before its runtime (and so its metrics)
    exists. prometheus_client picks its value store when it is imported, from the
    environment; the module that a spawned process imports to find its entry point has
    already imported it, so the choice is made again here, for metrics created from now on.
    """
    os.environ[MULTIPROC_ENV] = str(path)
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


_files_lock = threading.Lock()
"""Held while a dead worker's files are folded into the archive and while a scrape reads
the folder, so that no scrape sees a value twice or not at all (a counter that seemed
to go down would read as a reset)."""

ARCHIVE = "dead"
"""``counter_dead.db``, ``histogram_dead.db``: the totals of workers that have ended."""


def process_died(pid: int | None, path: Path | None) -> None:
    """A worker process ended: its live gauges go, its counts move into the archive.

    Folding its files into one archive per type keeps the folder (and so a scrape's cost)
    from growing with every worker that ever died; the totals stay the same.
    """
    if pid is None or path is None:
        return
    with _files_lock, contextlib.suppress(OSError):
        mark_process_dead(pid, str(path))  # type: ignore[no-untyped-call]
        for kind in ("counter", "histogram"):
            dead = path / f"{kind}_{pid}.db"
            if dead.is_file():
                _add_into(path / f"{kind}_{ARCHIVE}.db", dead)
                dead.unlink()


def _add_into(archive_path: Path, dead: Path) -> None:
    """Add the values of one process's file into the archive file (same keys, summed)."""
    files: Any = MmapedDict  # prometheus_client's own file format, untyped
    archive = files(str(archive_path))
    try:
        for key, value, _timestamp, _position in files.read_all_values_from_file(str(dead)):
            total, _ = archive.read_value(key)
            archive.write_value(key, total + value, 0.0)
    finally:
        archive.close()


def _merged(families: Iterable[Metric]) -> list[Metric]:
    """Families of the same name from several sources, samples of the same series summed.

    ``_created`` samples are dropped: each process has its own, and a sum means nothing.
    """
    by_name: dict[str, Metric] = {}
    sums: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for family in families:
        by_name.setdefault(family.name, Metric(family.name, family.documentation, family.type))
        series = sums.setdefault(family.name, {})
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            key = (sample.name, tuple(sorted(sample.labels.items())))
            series[key] = series.get(key, 0.0) + sample.value
    for name, family in by_name.items():
        family.samples = [
            Sample(sample_name, dict(labels), value)
            for (sample_name, labels), value in sums[name].items()
        ]
    return list(by_name.values())


def collect(metrics: JobMetrics, multiprocess_path: Path | None) -> list[Metric]:
    """This process's values, plus its worker processes' files when it has some."""
    families = list(metrics.registry.collect())
    if multiprocess_path is not None and multiprocess_path.is_dir():
        workers = MultiProcessCollector(None, path=str(multiprocess_path))  # type: ignore[no-untyped-call]
        with _files_lock:
            families += workers.collect()  # type: ignore[no-untyped-call]
    return _merged(families)


__all__ = [
    "MULTIPROC_ENV",
    "JobMetrics",
    "UpstreamTimer",
    "collect",
    "join_multiprocess",
    "prepare_multiprocess_dir",
    "process_died",
    "remove_multiprocess_dir",
]
