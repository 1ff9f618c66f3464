"""What a worker needs from a queue."""

from __future__ import annotations

from typing import Protocol

from reelvault.types import JobId


class JobQueue(Protocol):
    def claim(self, worker_id: str) -> JobId | None:
        """Take the oldest runnable job with a lease, or None when there is none."""
        ...

    def renew(self, job_id: JobId, worker_id: str) -> bool:
        """Extend this worker's lease; False when the lease was lost."""
        ...

    def recover_expired(self) -> int:
        """Requeue (or fail, after the last attempt) jobs whose worker stopped renewing."""
        ...


__all__ = ["JobQueue"]
