import pytest

from reelvault.errors import ConflictError
from reelvault.jobs.states import TRANSITIONS, can_transition, check_transition
from reelvault.types import TERMINAL_STATUSES, JobStatus


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(JobStatus)


def test_terminal_states_only_lead_to_expired() -> None:
    for status in TERMINAL_STATUSES:
        allowed = TRANSITIONS[status]
        assert allowed <= {JobStatus.EXPIRED}
    assert can_transition(JobStatus.COMPLETED, JobStatus.EXPIRED)
    assert not can_transition(JobStatus.FAILED, JobStatus.EXPIRED)


def test_lifecycle_paths() -> None:
    check_transition(JobStatus.QUEUED, JobStatus.IN_PROGRESS)
    check_transition(JobStatus.IN_PROGRESS, JobStatus.COMPLETED)
    check_transition(JobStatus.IN_PROGRESS, JobStatus.QUEUED)  # retry after a dead worker
    with pytest.raises(ConflictError, match="a completed job cannot become queued"):
        check_transition(JobStatus.COMPLETED, JobStatus.QUEUED)
    with pytest.raises(ConflictError):
        check_transition(JobStatus.CANCELLED, JobStatus.IN_PROGRESS)
