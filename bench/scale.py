"""Scale-out benchmark (issue 17): queue throughput, claim latency and a 10,000-job drain.

    python bench/scale.py [--jobs 16] [--claim-jobs 2000] [--drain-jobs 10000]
                          [--claimers 8] [--database-url postgresql+psycopg://...]
                          [--queue database] [--only throughput,claims,drain]

Three measurements, each against a reference or a goal in the same run:

* **throughput** (the database queue of ``reelvault serve``, on SQLite): jobs/s through
  the in-process queue with 1 and then 2 supervised worker processes
  (:class:`reelvault.jobs.pool.WorkerPool`) running the same fast job (procedural engine,
  1 s at 320x180). The pool is started and warmed up first; the clock runs from
  submitting ``--jobs`` jobs in one batch until the last one is completed. Goal: 2
  workers >= 1.6x one. ``--queue NAME`` also measures another queue backend with the
  same job and processes (``QUEUE_RUNNERS``: ``celery`` runs a ``reelvault worker`` node
  on ``BENCH_BROKER_URL``, Redis by default) and prints its jobs/s against the
  in-process queue's (goal >= 0.8x).
* **claims**: ``--claimers`` processes claim ``--claim-jobs`` queued jobs concurrently
  through :class:`reelvault.jobs.queue.DatabaseQueue` on PostgreSQL (``FOR UPDATE SKIP
  LOCKED``); each claim is timed around ``claim()``. Goal: p99 < 50 ms. The reference
  is one claimer alone (no other claimer competing for this machine's cores).
* **drain**: ``--drain-jobs`` queued jobs drained by ``--claimers`` processes. The run
  after each claim is a cheap fake (one row into a ``bench_runs`` table, the job marked
  completed), not an engine: this measures the queue, not rendering. Afterwards every job
  must be completed with exactly one run row and one attempt; a job run twice (or not at
  all) is a correctness failure.

Figures measured on the shared 2-core machine, with its load: docs/deploy.md, Sizing.

The PostgreSQL measurements use a fresh database created on ``--database-url``'s server
and dropped after (``scratch_db.py``); without a reachable server they are skipped.
PASS/FAIL is printed against each goal; the exit status is nonzero only on a correctness
failure (a job run twice or lost), never on a slow figure: this machine is shared and
timings are noisy.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from scratch_db import database_label, machine, scratch_database
from sqlalchemy import func, insert, select, text, update

from reelvault.app.compose import open_runtime
from reelvault.config import Settings, load_settings
from reelvault.db.models import Job
from reelvault.jobs.pool import WorkerPool
from reelvault.jobs.queue import DatabaseQueue
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import admit_and_store, prepare_job
from reelvault.types import JobStatus

DEFAULT_POSTGRES = os.environ.get(
    "REELVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
INSERT_BATCH = 5_000


@dataclass
class Verdicts:
    """Goals met or missed (slow figures) and correctness failures (exit status)."""

    lines: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    def goal(self, name: str, met: bool, figure: str) -> None:
        self.lines.append(f"{'PASS' if met else 'FAIL'}  {name}: {figure}")

    def correctness(self, name: str, ok: bool, figure: str) -> None:
        self.goal(name, ok, figure)
        if not ok:
            self.broken.append(name)


# --- throughput: jobs/s through a queue with N worker processes ----------------------


def _settings(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    return load_settings(
        None,
        data_dir=data_dir,
        database_url=database_url,
        **overrides,
        lease_seconds=60.0,
        heartbeat_seconds=1.0,
        poll_seconds=0.02,  # an idle worker finds a new job within 20 ms
        rate_limit_per_minute=0,
        log_level="ERROR",  # one INFO line per job would drown the figures
    )


def _request(number: int) -> JobRequest:
    return JobRequest(
        prompt=f"a lighthouse at dusk {number}",
        engine="procedural",
        width=320,
        height=180,
        seconds=1.0,
        seed=number,
    )


def _submit_and_wait(settings: Settings, jobs: int, first: int) -> float:
    """Seconds from submitting ``jobs`` jobs in one batch until all are completed."""
    runtime = open_runtime(settings)
    try:
        batch = [prepare_job(runtime, _request(first + n)) for n in range(jobs)]
        started = time.perf_counter()
        stored = admit_and_store(runtime, batch)
        ids = [view.id for view in stored if not isinstance(view, Exception)]
        assert len(ids) == jobs, stored
        while True:
            with runtime.session() as session:
                rows = session.execute(
                    select(Job.status, func.count()).where(Job.id.in_(ids)).group_by(Job.status)
                ).all()
            counts = {status: count for status, count in rows}
            if sum(counts.get(s.value, 0) for s in (JobStatus.FAILED, JobStatus.CANCELLED)):
                raise RuntimeError(f"benchmark jobs did not complete: {counts}")
            if counts.get(JobStatus.COMPLETED.value, 0) == jobs:
                return time.perf_counter() - started
            time.sleep(0.02)
    finally:
        runtime.close()


def database_queue_jobs_per_s(root: Path, processes: int, jobs: int) -> float:
    """The in-process database queue: ``reelvault serve --workers N``'s worker pool."""
    settings = _settings(root / f"database-{processes}")
    pool = WorkerPool(settings, processes, open_runtime)
    pool.start()
    try:
        _submit_and_wait(settings, processes * 2, first=10_000)  # warm-up: imports, encoder
        return jobs / _submit_and_wait(settings, jobs, first=0)
    finally:
        pool.stop()


BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0")


def celery_queue_jobs_per_s(root: Path, processes: int, jobs: int) -> float:
    """The Celery backend on ``BENCH_BROKER_URL`` (Redis by default): a worker node
    (``reelvault worker --concurrency N``, a subprocess as in production) consuming the
    procedural engine's queue; jobs are published on submit, as the API does."""
    import secrets
    import signal
    import subprocess

    settings = _settings(
        root / f"celery-{processes}",
        queue="celery",
        broker_url=BROKER_URL,
        celery_queue_prefix="rvbench-" + secrets.token_hex(4),
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELVAULT_")}
    env.update(
        REELVAULT_DATA_DIR=str(settings.data_dir),
        REELVAULT_QUEUE="celery",
        REELVAULT_BROKER_URL=BROKER_URL,
        REELVAULT_CELERY_QUEUE_PREFIX=settings.celery_queue_prefix,
        REELVAULT_POLL_SECONDS="0.02",
        REELVAULT_LOG_LEVEL="ERROR",
    )
    open_runtime(settings).close()  # migrate before the node starts
    node = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reelvault.cli.main",
            "worker",
            "--engines",
            "procedural",
            "--concurrency",
            str(processes),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _submit_and_wait(settings, processes * 2, first=10_000)  # warm-up: node, encoder
        return jobs / _submit_and_wait(settings, jobs, first=0)
    finally:
        os.killpg(node.pid, signal.SIGTERM)
        try:
            node.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)


# Queue backends measured with the same job against the in-process database queue.
QUEUE_RUNNERS: dict[str, Callable[[Path, int, int], float]] = {
    "database": database_queue_jobs_per_s,
    "celery": celery_queue_jobs_per_s,
}


def bench_throughput(args: argparse.Namespace, root: Path, verdicts: Verdicts) -> None:
    print(f"\n[throughput] procedural engine, 1 s at 320x180, {args.jobs} jobs per figure")
    one = database_queue_jobs_per_s(root, 1, args.jobs)
    print(f"  in-process queue, 1 worker process:  {one:6.2f} jobs/s", flush=True)
    two = database_queue_jobs_per_s(root, 2, args.jobs)
    print(f"  in-process queue, 2 worker processes: {two:6.2f} jobs/s", flush=True)
    ratio = two / one
    verdicts.goal("2 workers >= 1.6x one", ratio >= 1.6, f"{ratio:.2f}x")
    print(f"  2 workers / 1 worker: {ratio:.2f}x (goal >= 1.6x)")
    if args.queue != "database":
        other = QUEUE_RUNNERS[args.queue](root, 2, args.jobs)
        versus = other / two
        print(f"  --queue {args.queue}, 2 worker processes: {other:6.2f} jobs/s")
        print(f"  {args.queue} / in-process: {versus:.2f}x (goal >= 0.8x)")
        verdicts.goal(f"{args.queue} queue >= 0.8x in-process", versus >= 0.8, f"{versus:.2f}x")


# --- claims and drain: concurrent claimers on PostgreSQL -----------------------------


def _queue_jobs(settings: Settings, count: int) -> None:
    """``count`` queued jobs, bulk-inserted (oldest first), and an empty ``bench_runs``."""
    runtime = open_runtime(settings)
    try:
        now = runtime.clock()
        common: dict[str, Any] = {
            "owner_id": "own_bench",
            "data_class": "job_metadata",
            "policy_version": runtime.policy.version_hash,
            "task": "text_to_video",
            "engine": "procedural",
            "width": 320,
            "height": 180,
            "fps": 24,
            "seconds": 1.0,
            "seed": 1,
            "params": {},
            "status": JobStatus.QUEUED.value,
            "progress": 0,
            "stage": "queued",
            "cancel_requested": False,
            "attempts": 0,
            "max_attempts": 3,
            "updated_at": now,
        }
        with runtime.session() as session:
            session.execute(text("DROP TABLE IF EXISTS bench_runs"))
            session.execute(text("CREATE TABLE bench_runs (job_id VARCHAR(40), worker TEXT)"))
            session.execute(text("DELETE FROM jobs"))
        for start in range(0, count, INSERT_BATCH):
            rows = [
                {
                    **common,
                    "id": f"job_scale{n:012d}",
                    "created_at": now - timedelta(seconds=count - n),
                }
                for n in range(start, min(count, start + INSERT_BATCH))
            ]
            with runtime.session() as session:
                session.execute(insert(Job), rows)
    finally:
        runtime.close()


def _claimer(
    settings: Settings, index: int, barrier: Barrier, results: multiprocessing.Queue[Any]
) -> None:
    """Claim until the queue is empty; each claim timed, each run a fake that completes."""
    runtime = open_runtime(settings, run_migrations=False)
    queue = DatabaseQueue(runtime)
    worker_id = f"bench-claimer-{index}"
    latencies: list[float] = []
    try:
        barrier.wait()
        while True:
            started = time.perf_counter()
            job_id = queue.claim(worker_id)
            elapsed = time.perf_counter() - started
            if job_id is None:
                with runtime.session() as session:
                    left = session.scalar(
                        select(func.count()).where(Job.status == JobStatus.QUEUED.value)
                    )
                if not left:
                    break
                continue  # lost every race of this claim: try again
            latencies.append(elapsed)
            now = runtime.clock()
            with runtime.session() as session:
                session.execute(
                    text("INSERT INTO bench_runs (job_id, worker) VALUES (:job, :worker)"),
                    {"job": job_id, "worker": worker_id},
                )
                session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.lease_owner == worker_id)
                    .values(
                        status=JobStatus.COMPLETED.value,
                        stage="completed",
                        progress=100,
                        completed_at=now,
                        updated_at=now,
                        lease_owner=None,
                        lease_expires_at=None,
                    )
                )
    finally:
        runtime.close()
        results.put(latencies)


@dataclass
class Drain:
    seconds: float
    latencies: list[float]
    jobs: int
    completed: int
    run_twice: int  # jobs with more than one run row
    never_run: int  # jobs with no run row
    extra_attempts: int  # jobs claimed more than once


def _drain(settings: Settings, jobs: int, claimers: int) -> Drain:
    _queue_jobs(settings, jobs)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(claimers + 1)
    results: multiprocessing.Queue[Any] = context.Queue()
    processes = [
        context.Process(target=_claimer, args=(settings, index, barrier, results))
        for index in range(claimers)
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=300)  # every claimer has its runtime open: start together
    started = time.perf_counter()
    latencies: list[float] = []
    for _ in processes:
        latencies.extend(results.get(timeout=900))
    seconds = time.perf_counter() - started
    for process in processes:
        process.join(timeout=60)
    runtime = open_runtime(settings, run_migrations=False)
    try:
        with runtime.session() as session:
            runs = dict(
                session.execute(
                    text("SELECT job_id, COUNT(*) FROM bench_runs GROUP BY job_id")
                ).all()
            )
            rows = session.execute(select(Job.id, Job.status, Job.attempts)).all()
    finally:
        runtime.close()
    return Drain(
        seconds=seconds,
        latencies=latencies,
        jobs=len(rows),
        completed=sum(1 for row in rows if row.status == JobStatus.COMPLETED.value),
        run_twice=sum(1 for count in runs.values() if count > 1),
        never_run=sum(1 for row in rows if row.id not in runs),
        extra_attempts=sum(1 for row in rows if row.attempts != 1),
    )


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def bench_claims(args: argparse.Namespace, settings: Settings, verdicts: Verdicts) -> None:
    print(f"\n[claims] {args.claimers} concurrent claimers, {args.claim_jobs:,} queued jobs")
    # Reference: one claimer alone, the cost of a claim without contention for the CPU.
    alone = _drain(settings, max(100, args.claim_jobs // 4), 1).latencies
    print(
        f"  reference, 1 claimer: p50 {_percentile(alone, 50) * 1000:.1f} ms, "
        f"p99 {_percentile(alone, 99) * 1000:.1f} ms ({len(alone):,} claims)"
    )
    drain = _drain(settings, args.claim_jobs, args.claimers)
    p50 = _percentile(drain.latencies, 50) * 1000
    p99 = _percentile(drain.latencies, 99) * 1000
    worst = max(drain.latencies) * 1000
    print(
        f"  claim latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms "
        f"({len(drain.latencies):,} claims; goal p99 < 50 ms)"
    )
    verdicts.goal(f"claim p99 < 50 ms ({args.claimers} claimers)", p99 < 50, f"{p99:.1f} ms")
    verdicts.correctness(
        f"claims: {args.claim_jobs:,} jobs each run once",
        drain.run_twice == 0 and drain.never_run == 0 and drain.completed == drain.jobs,
        f"{drain.run_twice} run twice, {drain.never_run} never run",
    )


def bench_drain(args: argparse.Namespace, settings: Settings, verdicts: Verdicts) -> None:
    print(
        f"\n[drain] {args.drain_jobs:,} queued jobs, {args.claimers} claimers; the run is a "
        "fake (a bench_runs row, job marked completed), not an engine"
    )
    drain = _drain(settings, args.drain_jobs, args.claimers)
    print(
        f"  drained in {drain.seconds:.1f} s ({drain.jobs / drain.seconds:,.0f} jobs/s); "
        f"claim p50 {_percentile(drain.latencies, 50) * 1000:.1f} ms, "
        f"p99 {_percentile(drain.latencies, 99) * 1000:.1f} ms"
    )
    print(
        f"  jobs {drain.jobs:,}, completed {drain.completed:,}, claims {len(drain.latencies):,}; "
        f"run twice {drain.run_twice}, never run {drain.never_run}, "
        f"attempts != 1: {drain.extra_attempts}"
    )
    ok = (
        drain.jobs == args.drain_jobs
        and drain.completed == drain.jobs
        and drain.run_twice == 0
        and drain.never_run == 0
        and drain.extra_attempts == 0
        and len(drain.latencies) == drain.jobs
    )
    verdicts.correctness(
        f"drain: {args.drain_jobs:,} jobs, none run twice or lost",
        ok,
        f"{drain.run_twice} run twice, {drain.never_run} never run, "
        f"{drain.extra_attempts} with attempts != 1",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=16, help="jobs per throughput figure")
    parser.add_argument("--claim-jobs", type=int, default=2_000)
    parser.add_argument("--drain-jobs", type=int, default=10_000)
    parser.add_argument("--claimers", type=int, default=8)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_POSTGRES,
        help="PostgreSQL server for the claim and drain figures (a scratch database is "
        "created on it and dropped after); default: %(default)s",
    )
    parser.add_argument("--queue", choices=sorted(QUEUE_RUNNERS), default="database")
    parser.add_argument("--only", default="throughput,claims,drain")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    verdicts = Verdicts()
    print(f"machine: {machine()}")
    print("(a shared machine: other work runs beside this; figures are noisy)")
    with tempfile.TemporaryDirectory(prefix="rv-scale-") as tmp:
        root = Path(tmp)
        if "throughput" in parts:
            bench_throughput(args, root, verdicts)
        if parts & {"claims", "drain"}:
            try:
                label = database_label(args.database_url)
            except Exception as exc:  # no server here: the PostgreSQL figures are skipped
                print(f"\n[claims, drain] skipped: no PostgreSQL ({type(exc).__name__})")
            else:
                print(f"\ndatabase: {label}")
                with scratch_database(args.database_url) as url:
                    settings = _settings(root / "postgres", url)
                    open_runtime(settings).close()  # migrate once, before the claimers
                    if "claims" in parts:
                        bench_claims(args, settings, verdicts)
                    if "drain" in parts:
                        bench_drain(args, settings, verdicts)
    print("\nverdicts:")
    for line in verdicts.lines:
        print(f"  {line}")
    if verdicts.broken:
        print(f"correctness failure: {', '.join(verdicts.broken)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
