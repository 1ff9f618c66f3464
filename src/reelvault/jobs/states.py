"""The job state machine. Every status change goes through :func:`check_transition`."""

from __future__ import annotations

from reelvault.errors import ConflictError
from reelvault.types import JobStatus

# from-state -> states it may move to
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.QUEUED: frozenset({JobStatus.IN_PROGRESS, JobStatus.CANCELLED, JobStatus.FAILED}),
    JobStatus.IN_PROGRESS: frozenset(
        {
            JobStatus.COMPLETED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
            # a worker died: the job goes back to the queue for another attempt
            JobStatus.QUEUED,
        }
    ),
    JobStatus.COMPLETED: frozenset({JobStatus.EXPIRED}),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
    JobStatus.EXPIRED: frozenset(),
}


def can_transition(current: JobStatus, new: JobStatus) -> bool:
    return new in TRANSITIONS[current]


def check_transition(current: JobStatus, new: JobStatus) -> None:
    """Raise :class:`ConflictError` when ``current -> new`` is not allowed."""
    if not can_transition(current, new):
        raise ConflictError(f"a {current.value} job cannot become {new.value}", param="status")


__all__ = ["TRANSITIONS", "can_transition", "check_transition"]
