"""After every retention period, no row anywhere refers to a person any more (#14 item 9).

A person uses every feature through the API (jobs with an upload, consents, the age
question, a webhook secret, a notify-me signup they confirm, access and export requests,
a studio session), then leaves: unsubscribes and their key is revoked. The clock then
runs past every period of the profile, with the retention sweeper passing as it does in
production, and every table the models declare (read from SQLAlchemy's metadata, so a
new table is covered without touching this test) is searched for anything of theirs.

Owner rows, privacy flags (the age answer) and owner-contact links used to stay forever.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reelvault.accounts.keys import key_for_secret, revoke_api_key
from reelvault.accounts.sessions import start_session
from reelvault.db.base import Base
from reelvault.db.dsr_models import DataSubjectRequest, OwnerContact
from reelvault.db.models import ApiKey, BrowserSession, Job, Owner, StoredObject
from reelvault.db.privacy_models import AttemptCounter, NotifySubscription, PrivacySecret
from reelvault.privacy import dsr, mail_budget, notify
from reelvault.privacy.dsr import RequestKind
from reelvault.privacy.notify import SmtpSettings
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock

from .api_helpers import bearer, declare_adult, image_job, privacy_app, text_job, wait_done
from .test_news import CONFIRM, smtp_overrides
from .test_notify import Inbox, _link, smtp_server  # noqa: F401

ADDRESS = "person.leaving@example.org"
UNSUBSCRIBE = "/api/v1/privacy/notify/unsubscribe"
# Long enough for every period of the built-in profiles (the longest is two years), in
# steps the sweeper takes one at a time, then a few passes for the owners' grace.
STEPS = [timedelta(hours=2), timedelta(days=2), timedelta(days=31), timedelta(days=100)]
STEPS += [timedelta(days=400)] * 3 + [timedelta(days=2)] * 3


def _everything(runtime: Runtime) -> dict[str, list[str]]:
    """Every row of every table the models declare, each as one JSON text."""
    rows: dict[str, list[str]] = {}
    with runtime.session() as session:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = [
                json.dumps(dict(row._mapping), default=str)
                for row in session.execute(select(table))
            ]
    return rows


def _found(runtime: Runtime, needles: set[str]) -> dict[str, set[str]]:
    return {
        name: hits
        for name, texts in _everything(runtime).items()
        if (hits := {needle for needle in needles for text in texts if needle in text})
    }


def _identifiers(runtime: Runtime, owner_id: str, requests: set[str]) -> set[str]:
    """Everything that points at the person: ids, hashes and vault objects of theirs."""
    with runtime.session() as session:
        jobs = set(session.scalars(select(Job.id).where(Job.owner_id == owner_id)))
        objects = set(session.scalars(select(StoredObject.id).where(StoredObject.job_id.in_(jobs))))
        subscriptions = set(
            session.scalars(
                select(OwnerContact.subscription_id).where(OwnerContact.owner_id == owner_id)
            )
        )
        signups = session.scalars(
            select(NotifySubscription).where(NotifySubscription.id.in_(subscriptions))
        ).all()
        asked = session.scalars(
            select(DataSubjectRequest).where(DataSubjectRequest.id.in_(requests))
        ).all()
        addresses = {
            value for row in asked for value in (row.address_hash, row.address_object) if value
        }
        keys = set(session.scalars(select(ApiKey.id).where(ApiKey.owner_id == owner_id)))
        tokens = set(
            session.scalars(
                select(BrowserSession.token_hash).where(BrowserSession.owner_id == owner_id)
            )
        )
        # Their failed sign-in, counted under keyed hashes of their e-mail and address.
        counters = set(session.scalars(select(AttemptCounter.subject_hash)))
        owner = session.get(Owner, owner_id)
        assert owner is not None and owner.webhook_secret_object
        secrets = {owner.webhook_secret_object}
    addresses |= {row.address_hash for row in signups} | {row.address_object for row in signups}
    addresses |= {mail_budget.recipient_hash(runtime, ADDRESS), ADDRESS}
    assert jobs and objects and subscriptions and requests and keys and tokens and counters
    return (
        {owner_id} | jobs | objects | subscriptions | requests | keys | tokens | secrets | addresses
    ) | counters


def _use_every_feature(
    client: TestClient, runtime: Runtime, inbox: Inbox, smtp: SmtpSettings
) -> tuple[str, set[str]]:
    headers, owner_id = bearer(runtime, "leaving")
    declare_adult(client, headers)
    for job in (text_job(client, headers, "a red kite"), image_job(client, headers, "waves")):
        assert wait_done(client, job["id"], headers)["status"] == "completed"
    withdrawn = client.put(
        "/api/v1/privacy/consents/analytics", json={"granted": False}, headers=headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert client.post("/api/v1/webhook-secret", headers=headers).status_code == 200
    signup = client.post("/api/v1/privacy/notify", json={"email": ADDRESS}, headers=headers)
    assert signup.status_code == 202, signup.text
    confirm = _link(inbox.messages[-1], CONFIRM)
    assert client.get(f"{CONFIRM}?token={confirm}").status_code == 200
    assert client.get("/api/v1/privacy/access", headers=headers).status_code == 200
    assert client.get("/api/v1/privacy/export", headers=headers).status_code == 200
    # The studio, opened with the key: a browser session acting as the same owner.
    key = key_for_secret(runtime, headers["Authorization"].removeprefix("Bearer "))
    assert key is not None
    start_session(runtime, key=key)
    # A wrong password on the sign-in form: the backoff counts it (attempt_counters).
    wrong = client.post("/api/v1/account/login", json={"email": ADDRESS, "password": "x" * 12})
    assert wrong.status_code == 401, wrong.text
    # Requests by e-mail naming the owner: one verified (answered), one never verified.
    answered = dsr.create_request(
        runtime, smtp, kind=RequestKind.ACCESS, address=ADDRESS, owner_id=owner_id
    )
    code = _code(inbox.messages[-1])
    dsr.verify(runtime, code)
    unverified = dsr.create_request(
        runtime, smtp, kind=RequestKind.OBJECT, address=ADDRESS, owner_id=owner_id
    )
    return owner_id, {answered.id, unverified.id}


def _code(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"one-time code:\s+(\S+)", body.decode())
    assert match
    return match.group(1)


def _leave(client: TestClient, runtime: Runtime, inbox: Inbox, owner_id: str) -> None:
    """The person unsubscribes (one click in any of our e-mails); the operator revokes the key."""
    (confirmation,) = [m for m in inbox.messages if m["Subject"] == "Please confirm your e-mail"]
    token = _link(confirmation, UNSUBSCRIBE)
    assert client.post(f"{UNSUBSCRIBE}?token={token}").status_code == 200
    with runtime.session() as session:
        keys = list(session.scalars(select(ApiKey.id).where(ApiKey.owner_id == owner_id)))
    for key_id in keys:
        revoke_api_key(runtime, key_id)


def _held_objects(runtime: Runtime) -> set[str]:
    with runtime.session() as session:
        own = set(session.scalars(select(PrivacySecret.object_id)))
    return {object_id for object_id in runtime.vault.object_ids() if object_id not in own}


@pytest.mark.parametrize("policy", ["ephemeral", "standard"])
def test_no_row_refers_to_a_person_after_every_period(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
    policy: str,
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(tmp_path, policy=policy, clock=clock, **smtp_overrides(smtp)) as (
        client,
        runtime,
    ):
        owner_id, requests = _use_every_feature(client, runtime, inbox, smtp)
        needles = _identifiers(runtime, owner_id, requests)
        before = _found(runtime, needles)
        # The search finds them where they are (else an empty result would prove nothing).
        tables = ("owners", "owner_privacy", "consent_records", "owner_contacts", "jobs")
        for table in (
            *tables,
            "data_subject_requests",
            "api_keys",
            "browser_sessions",
            "attempt_counters",
        ):
            assert table in before, table

        # While the signup lives, the owner and its answers stay: news checks them.
        for step in STEPS[:3]:
            clock.advance(seconds=step.total_seconds())
            sweep(runtime)
        assert notify.count(runtime)["confirmed"] == 1
        assert {"owners", "owner_privacy", "owner_contacts"} <= set(_found(runtime, needles))

        _leave(client, runtime, inbox, owner_id)
        for step in STEPS:
            clock.advance(seconds=step.total_seconds())
            sweep(runtime)

        left: dict[str, Any] = _found(runtime, needles)
        assert left == {}
        assert _held_objects(runtime) == set()
