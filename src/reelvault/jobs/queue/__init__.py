"""Job queues: the durable database queue of the embedded mode (Celery comes later)."""

from reelvault.jobs.queue.base import JobQueue
from reelvault.jobs.queue.database import DatabaseQueue

__all__ = ["DatabaseQueue", "JobQueue"]
