"""What ``/metrics`` serves: one registry per app, costing the same whatever the history.

The counters and histograms come from the runtime (and from this process's worker
processes' files, prometheus_client multiprocess mode); three gauges are read at scrape
time: the jobs queued or running by engine (one query on the status index that never
reads finished jobs), the queue depth, and the live workers.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from reelvault.http.deps import ApiContext
from reelvault.jobs.queries import active_job_counts
from reelvault.metrics import collect
from reelvault.types import JobStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The text format ``generate_latest`` writes (what Prometheus has always scraped)."""


class ScrapeCollector:
    """A prometheus_client collector over one app's runtime and workers."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        ctx = self.ctx
        yield from collect(ctx.runtime.metrics, ctx.workers_metrics_dir())
        jobs = GaugeMetricFamily(
            "reelvault_jobs",
            "Jobs queued or in progress, by state and engine.",
            labels=["engine", "state"],
        )
        queued = 0
        for state, engine, count in active_job_counts(ctx.runtime):
            jobs.add_metric([engine, state], count)
            if state == JobStatus.QUEUED.value:
                queued += count
        yield jobs
        yield GaugeMetricFamily("reelvault_queue_depth", "Jobs waiting for a worker.", queued)
        yield GaugeMetricFamily(
            "reelvault_workers_alive",
            "Worker processes or threads running.",
            ctx.workers_alive(),
        )


def app_registry(ctx: ApiContext) -> CollectorRegistry:
    """A registry of this app's own (``create_app`` may run many times in a process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeCollector(ctx))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The Prometheus text format (version 0.0.4)."""
    return generate_latest(registry)


__all__ = ["CONTENT_TYPE", "ScrapeCollector", "app_registry", "render"]
