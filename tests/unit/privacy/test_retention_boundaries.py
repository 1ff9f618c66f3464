"""Every retention period, on both sides of its end: kept one second before, gone one after.

Each period is measured from the timestamp the policy names (a job's end for uploads and
job metadata, the output's completion, the resolution of a request...), with the runtime's
clock moved by hand and the real sweeper (:func:`reelvault.privacy.sweeper.sweep`) run at
each side. A test that only checked "gone long after" would pass with a clock started at
the wrong event; checking one second either side of the named event does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from sqlalchemy import select

import reelvault.policy
from reelvault.accounts.keys import create_api_key, revoke_api_key
from reelvault.accounts.owners import new_owner
from reelvault.accounts.sessions import SESSION_LIFETIME, start_session
from reelvault.app.compose import open_runtime
from reelvault.db.dsr_models import DataSubjectRequest
from reelvault.db.models import ApiKey, BrowserSession, Job, Owner, StoredObject
from reelvault.db.moderation_models import ModerationCounter
from reelvault.db.privacy_models import (
    AuditEntry,
    ConsentRecord,
    NotifySubscription,
    OutgoingMail,
    UsageCounter,
)
from reelvault.jobs import objects
from reelvault.jobs.lifecycle import cancel_job
from reelvault.jobs.queries import get_job
from reelvault.jobs.request import INPUT_KIND_PREFIX
from reelvault.jobs.submission import submit_job
from reelvault.jobs.uploads import store_upload
from reelvault.jobs.worker import Worker
from reelvault.moderation import Decision, Verdict
from reelvault.policy import load_policy
from reelvault.privacy import (
    analytics,
    audit_log,
    consent,
    dsr,
    mail_budget,
    moderation_stats,
    notify,
    sweeper,
)
from reelvault.privacy.notify import SmtpSettings
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for
from reelvault.types import JobStatus, Task

from ..jobs.helpers import fake_request
from . import test_notify

SECOND = timedelta(seconds=1)
DATA = Path(__file__).parents[2] / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
VIDEO = DATA / "SYNTHETIC_dance_moves_576.mp4"
STANDARD = Path(reelvault.policy.__file__).parent / "profiles" / "standard.yaml"

Present = Callable[[], bool]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def opened(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[[str], Runtime]]:
    runtimes: list[Runtime] = []

    def _open(policy: str) -> Runtime:
        runtime = open_runtime(
            settings_for(tmp_path / f"rt{len(runtimes)}", policy=policy),
            registry=registry_with_fake(),
            clock=clock,
        )
        runtimes.append(runtime)
        return runtime

    yield _open
    for runtime in runtimes:
        runtime.close()


def policy_file(tmp_path: Path, *, upload: str, window: str | None) -> str:
    """The standard profile with its upload retention and dance window changed."""
    data = yaml.safe_load(STANDARD.read_text())
    data["data_classes"]["upload"]["retention"] = upload
    data["options"]["dance_uploads_troubleshooting_window"] = window
    path = tmp_path / f"policy-{upload}-{window}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def kept_then_gone(
    runtime: Runtime, clock: FakeClock, start: datetime, period: timedelta, present: Present
) -> None:
    """Sweep one second before ``start + period`` (still there) and one second after (gone)."""
    assert present(), "missing before its period even started"
    clock.now = start + period - SECOND
    sweep(runtime)
    assert present(), "deleted one second before its retention period ended"
    clock.now = start + period + SECOND
    sweep(runtime)
    assert not present(), "kept one second after its retention period ended"


def _exists(runtime: Runtime, model: Any, **where: Any) -> Present:
    def present() -> bool:
        with runtime.session() as session:
            query = select(model)
            for column, value in where.items():
                query = query.where(getattr(model, column) == value)
            return session.scalars(query).first() is not None

    return present


def _object_of(runtime: Runtime, job_id: str, kind: str) -> Present:
    def present() -> bool:
        with runtime.session() as session:
            row = session.scalars(
                select(StoredObject).where(StoredObject.job_id == job_id, StoredObject.kind == kind)
            ).first()
            if row is None:
                return False
            return row.id in set(runtime.vault.object_ids())

    return present


def _run_queue(runtime: Runtime) -> None:
    worker = Worker(runtime, worker_id="boundary-worker")
    for _ in range(10):
        if worker.run_once() is None:
            break


def _ended_at(runtime: Runtime, job_id: str) -> datetime:
    with runtime.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.completed_at is not None
        return job.completed_at


def _image_job(runtime: Runtime, clock: FakeClock, *, queued_for: timedelta) -> str:
    """An image job that waits ``queued_for`` in the queue, then runs to its end."""
    upload = store_upload(runtime, "image", iter([PHOTO.read_bytes()]), max_bytes=10**7)
    job = submit_job(runtime, fake_request(task=Task.IMAGE_TO_VIDEO), [upload])
    clock.advance(seconds=queued_for.total_seconds())
    _run_queue(runtime)
    assert get_job(runtime, job.id).status is JobStatus.COMPLETED
    return job.id


def _dance_job(runtime: Runtime, clock: FakeClock, *, queued_for: timedelta) -> str:
    """A dance job (portrait + reference video) that waits, then is cancelled: a job end."""
    portrait = store_upload(runtime, "image", iter([PHOTO.read_bytes()]), max_bytes=10**7)
    video = store_upload(runtime, "reference_video", iter([VIDEO.read_bytes()]), max_bytes=10**8)
    job = submit_job(runtime, fake_request(task=Task.DANCE), [portrait, video])
    clock.advance(seconds=queued_for.total_seconds())
    cancel_job(runtime, job.id)
    return job.id


@pytest.mark.parametrize(
    ("upload", "window", "dance", "days"),
    [
        ("P7D", "P7D", True, 7),  # the standard profile
        ("P30D", "P7D", True, 7),  # the window is shorter: it applies to dance uploads
        ("P30D", "P7D", False, 30),  # ...and to nothing else
        ("P3D", "P7D", True, 3),  # a window never extends the upload retention
        ("until_deleted", "P7D", True, 7),
        ("until_deleted", "P7D", False, None),
        ("P30D", None, True, 30),  # no window: the upload retention alone
    ],
)
def test_upload_expiry_is_the_job_end_plus_the_shorter_promise(
    tmp_path: Path, upload: str, window: str | None, dance: bool, days: int | None
) -> None:
    policy = load_policy(policy_file(tmp_path, upload=upload, window=window))
    ended = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    expected = None if days is None else ended + timedelta(days=days)
    assert policy.upload_expires_at(job_ended=ended, dance=dance) == expected


# -- job data: prompt, upload, output, job metadata --------------------------------------


@pytest.mark.parametrize(("profile", "period"), [("standard", timedelta(days=30))])
def test_prompt_counts_from_submission(
    opened: Callable[[str], Runtime], clock: FakeClock, profile: str, period: timedelta
) -> None:
    runtime = opened(profile)
    submitted = clock()
    job = submit_job(runtime, fake_request(prompt="a boundary prompt"))
    _run_queue(runtime)
    kept_then_gone(runtime, clock, submitted, period, _object_of(runtime, job.id, objects.PROMPT))


@pytest.mark.parametrize("queued_for", [timedelta(0), timedelta(days=3)])
def test_upload_counts_from_the_end_of_its_job(
    opened: Callable[[str], Runtime], clock: FakeClock, queued_for: timedelta
) -> None:
    """Standard: "kept for the job plus a 7-day troubleshooting window". A job that waited
    three days in the queue still keeps its upload seven days after it ended."""
    runtime = opened("standard")
    job_id = _image_job(runtime, clock, queued_for=queued_for)
    kept_then_gone(
        runtime,
        clock,
        _ended_at(runtime, job_id),
        timedelta(days=7),
        _object_of(runtime, job_id, INPUT_KIND_PREFIX + "image"),
    )


def test_queued_upload_is_not_dated_before_its_job_ends(
    opened: Callable[[str], Runtime], clock: FakeClock
) -> None:
    runtime = opened("standard")
    upload = store_upload(runtime, "image", iter([PHOTO.read_bytes()]), max_bytes=10**7)
    job = submit_job(runtime, fake_request(task=Task.IMAGE_TO_VIDEO), [upload])
    clock.advance(days=8)  # longer than the upload's retention: the job has not ended yet
    sweep(runtime)
    assert _object_of(runtime, job.id, INPUT_KIND_PREFIX + "image")()


@pytest.mark.parametrize("kind", ["image", "reference_video"])
def test_dance_uploads_follow_the_troubleshooting_window(
    opened: Callable[[str], Runtime], clock: FakeClock, tmp_path: Path, kind: str
) -> None:
    """Uploads kept 30 days, but a dance job's portrait and reference video only for the
    7-day troubleshooting window the policy page shows, counted from the job's end."""
    runtime = opened(policy_file(tmp_path, upload="P30D", window="P7D"))
    job_id = _dance_job(runtime, clock, queued_for=timedelta(hours=5))
    kept_then_gone(
        runtime,
        clock,
        _ended_at(runtime, job_id),
        timedelta(days=7),
        _object_of(runtime, job_id, INPUT_KIND_PREFIX + kind),
    )


def test_other_uploads_keep_their_class_retention_beside_the_dance_window(
    opened: Callable[[str], Runtime], clock: FakeClock, tmp_path: Path
) -> None:
    runtime = opened(policy_file(tmp_path, upload="P30D", window="P7D"))
    job_id = _image_job(runtime, clock, queued_for=timedelta(hours=5))
    kept_then_gone(
        runtime,
        clock,
        _ended_at(runtime, job_id),
        timedelta(days=30),
        _object_of(runtime, job_id, INPUT_KIND_PREFIX + "image"),
    )


def test_dance_window_longer_than_the_upload_retention_does_not_extend_it(
    opened: Callable[[str], Runtime], clock: FakeClock, tmp_path: Path
) -> None:
    runtime = opened(policy_file(tmp_path, upload="P3D", window="P7D"))
    job_id = _dance_job(runtime, clock, queued_for=timedelta(0))
    kept_then_gone(
        runtime,
        clock,
        _ended_at(runtime, job_id),
        timedelta(days=3),
        _object_of(runtime, job_id, INPUT_KIND_PREFIX + "reference_video"),
    )


def test_the_job_row_outlives_every_object_it_holds(
    opened: Callable[[str], Runtime], clock: FakeClock, tmp_path: Path
) -> None:
    """Uploads kept 120 days beside job metadata kept 90: the sweeper deletes a job's objects
    with its row, so the row must last as long as its longest-lived object."""
    runtime = opened(policy_file(tmp_path, upload="P120D", window=None))
    job_id = _image_job(runtime, clock, queued_for=timedelta(hours=1))
    kept_then_gone(
        runtime,
        clock,
        _ended_at(runtime, job_id),
        timedelta(days=120),
        _object_of(runtime, job_id, INPUT_KIND_PREFIX + "image"),
    )


@pytest.mark.parametrize(
    ("profile", "period"), [("standard", timedelta(days=7)), ("ephemeral", timedelta(hours=1))]
)
@pytest.mark.parametrize("kind", sorted(objects.OUTPUT_KINDS))
def test_output_counts_from_completion(
    opened: Callable[[str], Runtime],
    clock: FakeClock,
    profile: str,
    period: timedelta,
    kind: str,
) -> None:
    runtime = opened(profile)
    job_id = _image_job(runtime, clock, queued_for=timedelta(hours=2))
    kept_then_gone(
        runtime, clock, _ended_at(runtime, job_id), period, _object_of(runtime, job_id, kind)
    )


@pytest.mark.parametrize(
    ("profile", "period"), [("standard", timedelta(days=90)), ("ephemeral", timedelta(days=1))]
)
@pytest.mark.parametrize("end", ["completed", "cancelled"])
def test_job_metadata_counts_from_the_end_of_the_job(
    opened: Callable[[str], Runtime],
    clock: FakeClock,
    profile: str,
    period: timedelta,
    end: str,
) -> None:
    runtime = opened(profile)
    if end == "completed":
        job_id = _image_job(runtime, clock, queued_for=timedelta(days=2))
    else:
        job = submit_job(runtime, fake_request())
        clock.advance(days=2)
        cancel_job(runtime, job.id)
        job_id = job.id
    kept_then_gone(
        runtime, clock, _ended_at(runtime, job_id), period, _exists(runtime, Job, id=job_id)
    )


# -- privacy records ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "period"),
    [
        ("standard", timedelta(days=730)),
        ("ephemeral", timedelta(days=365)),
        ("library", timedelta(days=730)),
    ],
)
def test_superseded_consent_record_counts_from_when_it_was_recorded(
    opened: Callable[[str], Runtime], clock: FakeClock, profile: str, period: timedelta
) -> None:
    runtime = opened(profile)
    owner = new_owner(runtime, "session")
    granted_at = clock()
    consent.grant(runtime, owner, consent.ANALYTICS)
    clock.advance(hours=1)
    consent.withdraw(runtime, owner, consent.ANALYTICS)  # the decision in force stays
    start_session(runtime)  # irrelevant owner activity: keeps nothing of this one
    kept_then_gone(
        runtime,
        clock,
        granted_at,
        period,
        _exists(runtime, ConsentRecord, owner_id=owner, granted=True),
    )


@pytest.mark.parametrize(
    # P12M: the policy counts a month as 30 days, so "up to 12 months" ends after 360.
    ("profile", "period"),
    [
        ("standard", timedelta(days=90)),
        ("library", timedelta(days=360)),
        ("ephemeral", timedelta(days=30)),
    ],
)
def test_usage_counter_counts_from_the_end_of_its_day(
    opened: Callable[[str], Runtime], clock: FakeClock, profile: str, period: timedelta
) -> None:
    runtime = opened(profile)
    analytics.record_job_outcome(
        runtime, owner_id="own_1", feature="dance", engine="puppet",
        width=720, height=1280, seconds=8.0, outcome="completed",
    )  # fmt: skip
    day = clock().date()
    end_of_day = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    kept_then_gone(runtime, clock, end_of_day, period, _exists(runtime, UsageCounter))


@pytest.mark.parametrize(
    ("profile", "period"),
    [
        ("standard", timedelta(days=90)),
        ("library", timedelta(days=360)),
        ("ephemeral", timedelta(days=30)),
    ],
)
def test_moderation_counter_counts_from_the_end_of_its_day(
    opened: Callable[[str], Runtime], clock: FakeClock, profile: str, period: timedelta
) -> None:
    runtime = opened(profile)
    blocked = Decision(Verdict.BLOCK, ("minors",), ("rules",))
    moderation_stats.record_decision(runtime, owner_id="own_1", stage="prompt", decision=blocked)
    day = clock().date()
    end_of_day = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    kept_then_gone(runtime, clock, end_of_day, period, _exists(runtime, ModerationCounter))


@pytest.mark.parametrize(
    ("profile", "period"),
    [
        ("standard", timedelta(days=730)),
        ("ephemeral", timedelta(days=365)),
        ("library", timedelta(days=730)),
    ],
)
def test_audit_entry_counts_from_when_it_was_written(
    opened: Callable[[str], Runtime], clock: FakeClock, profile: str, period: timedelta
) -> None:
    runtime = opened(profile)
    written = clock()
    entry = audit_log.record(runtime, "policy.changed", objects_shredded=0)
    kept_then_gone(runtime, clock, written, period, _exists(runtime, AuditEntry, seq=entry))


@pytest.mark.parametrize("profile", ["standard", "ephemeral", "library"])
def test_resolved_request_counts_from_its_resolution(
    opened: Callable[[str], Runtime], clock: FakeClock, profile: str
) -> None:
    runtime = opened(profile)
    clock.advance(hours=3)
    resolved = clock()
    request_id = dsr.record_self_service(runtime, dsr.RequestKind.EXPORT, {"jobs": 0})
    kept_then_gone(
        runtime,
        clock,
        resolved,
        timedelta(days=30),
        _exists(runtime, DataSubjectRequest, id=request_id),
    )


def test_browser_session_counts_from_its_start(
    opened: Callable[[str], Runtime], clock: FakeClock
) -> None:
    runtime = opened("standard")
    started = clock()
    _token, owner = start_session(runtime)
    # Unused, a session ends at its idle timeout (used, at the latest SESSION_LIFETIME
    # after its start: tests/unit/api/test_accounts.py).
    idle = min(SESSION_LIFETIME, timedelta(hours=runtime.settings.session_idle_hours))
    kept_then_gone(runtime, clock, started, idle, _exists(runtime, BrowserSession, owner_id=owner))


@pytest.mark.parametrize("profile", ["standard", "ephemeral", "library"])
def test_idle_owner_counts_from_when_nothing_needs_it(
    opened: Callable[[str], Runtime], clock: FakeClock, profile: str
) -> None:
    runtime = opened(profile)
    owner = new_owner(runtime, "session")
    clock.advance(hours=2)
    idle_since = clock()
    sweep(runtime)  # the first pass that finds the owner unneeded starts its grace
    grace = runtime.policy.options.idle_owner_grace
    kept_then_gone(runtime, clock, idle_since, grace, _exists(runtime, Owner, id=owner))


def test_mail_budget_entry_counts_from_the_mail(
    opened: Callable[[str], Runtime], clock: FakeClock
) -> None:
    runtime = opened("standard")
    sent = clock()
    mail_budget.reserve(runtime, "someone@example.org")
    kept_then_gone(runtime, clock, sent, mail_budget.WINDOW, _exists(runtime, OutgoingMail))


def test_scratch_outlives_its_job_lease_by_nothing(
    opened: Callable[[str], Runtime], clock: FakeClock
) -> None:
    """A job's scratch (decrypted inputs, frames) lives while a worker's lease on it does."""
    runtime = opened("standard")
    job = submit_job(runtime, fake_request())
    lease = timedelta(seconds=runtime.settings.lease_seconds)
    leased_at = clock()
    with runtime.session() as session:
        row = session.get(Job, job.id)
        assert row is not None
        row.status = JobStatus.IN_PROGRESS.value
        row.lease_owner = "elsewhere"
        row.lease_expires_at = leased_at + lease
    scratch = runtime.settings.scratch_dir / job.id
    scratch.mkdir(parents=True)
    (scratch / "frame.png").write_bytes(b"decrypted")
    kept_then_gone(runtime, clock, leased_at, lease, scratch.exists)


def test_orphaned_object_counts_from_when_it_was_stored(
    opened: Callable[[str], Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object no row names (a crash between the vault and the database) is shredded
    ``orphan_grace_seconds`` after the vault stored it (the vault's own file time)."""
    runtime = opened("standard")
    upload = store_upload(runtime, "image", iter([PHOTO.read_bytes()]), max_bytes=10**7)
    with runtime.session() as session:  # its row never written: the crash
        for row in session.scalars(select(StoredObject).where(StoredObject.id == upload.object_id)):
            session.delete(row)
    stored_at = runtime.vault.stored_at(upload.object_id)
    assert stored_at is not None
    grace = runtime.settings.orphan_grace_seconds

    def sweep_at(when: float) -> None:
        monkeypatch.setattr(sweeper, "time", SimpleNamespace(time=lambda: when))
        sweep(runtime)

    sweep_at(stored_at + grace - 1)
    assert upload.object_id in set(runtime.vault.object_ids())
    sweep_at(stored_at + grace + 1)
    assert upload.object_id not in set(runtime.vault.object_ids())


# -- e-mail addresses: notify-me signups and requests by e-mail ---------------------------

# The real SMTP exchange of the notify-me tests (aiosmtpd on a loopback port).
smtp_server = test_notify.smtp_server


def test_unconfirmed_signup_counts_from_the_signup(
    opened: Callable[[str], Runtime],
    clock: FakeClock,
    smtp_server: tuple[test_notify.Inbox, SmtpSettings],
) -> None:
    """A signup never confirmed goes ``CONFIRMATION_WINDOW`` after it was made, address and all."""
    _inbox, smtp = smtp_server
    runtime = opened("standard")
    signed_up = clock()
    signup = notify.subscribe(runtime, smtp, test_notify.ADDRESS)
    kept_then_gone(
        runtime,
        clock,
        signed_up,
        notify.CONFIRMATION_WINDOW,
        _exists(runtime, NotifySubscription, id=signup.subscription_id),
    )


def test_confirmed_signup_counts_from_the_news_it_asked_for(
    opened: Callable[[str], Runtime],
    clock: FakeClock,
    smtp_server: tuple[test_notify.Inbox, SmtpSettings],
) -> None:
    """Contact data: "until your request is resolved, plus 30 days"; a notify-me request is
    resolved when the news it asked for is sent."""
    inbox, smtp = smtp_server
    runtime = opened("standard")
    signup = notify.subscribe(runtime, smtp, test_notify.ADDRESS)
    assert notify.confirm(runtime, test_notify._link(inbox.messages[0], notify.CONFIRM_PATH))
    clock.advance(days=100)  # unresolved: no clock runs yet
    sweep(runtime)
    sent = clock()
    assert test_notify._send(runtime, smtp, subject="Open", body="Now.") == 1
    kept_then_gone(
        runtime,
        clock,
        sent,
        timedelta(days=30),
        _exists(runtime, NotifySubscription, id=signup.subscription_id),
    )


def test_unverified_request_counts_from_its_due_date(
    opened: Callable[[str], Runtime],
    clock: FakeClock,
    smtp_server: tuple[test_notify.Inbox, SmtpSettings],
) -> None:
    """A request by e-mail whose code is never used stays answerable until it is due
    (``request_response_days``) plus ``VERIFICATION_GRACE``, then goes with its address."""
    _inbox, smtp = smtp_server
    runtime = opened("standard")
    created = dsr.create_request(
        runtime, smtp, kind=dsr.RequestKind.ACCESS, address=test_notify.ADDRESS
    )
    kept_then_gone(
        runtime,
        clock,
        created.due_at,
        dsr.VERIFICATION_GRACE,
        _exists(runtime, DataSubjectRequest, id=created.id),
    )


def test_revoked_key_counts_from_its_revocation(
    opened: Callable[[str], Runtime], clock: FakeClock
) -> None:
    """A revoked API key's row goes ``idle_owner_grace`` after the revocation."""
    runtime = opened("standard")
    created = create_api_key(runtime, name="boundary")
    clock.advance(hours=5)
    revoked = clock()
    revoke_api_key(runtime, created.id)
    kept_then_gone(
        runtime,
        clock,
        revoked,
        runtime.policy.options.idle_owner_grace,
        _exists(runtime, ApiKey, id=created.id),
    )
