"""The outgoing e-mail budget (issue 15, finding 2): minting owners does not mint e-mail.

The probe: five fresh sessions after a 429 sent five confirmation e-mails to one address,
because limits counted per owner. Now the deployment has a budget per recipient and one
for everything, counted in the database by a keyed hash of the address; over it, the
sign-up answers 429 with Retry-After and nothing is sent or stored. Real SMTP server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from reelvault.db.privacy_models import NotifySubscription, OutgoingMail
from reelvault.privacy.notify import SmtpSettings
from reelvault.privacy.sweeper import sweep
from reelvault.testing import FakeClock
from tests.unit.privacy.api_helpers import bearer, declare_adult, files_containing, privacy_app
from tests.unit.privacy.test_news import smtp_overrides
from tests.unit.privacy.test_notify import Inbox, smtp_server  # noqa: F401

VICTIM = "victim.inbox@example.org"
SIGNUP = "/api/v1/privacy/notify"


def _sign_up(client: TestClient, body: dict[str, str], headers: dict[str, str]) -> Response:
    declare_adult(client, headers)  # notify-me is for adults: the age is asked first
    return client.post(SIGNUP, json=body, headers=headers)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_fresh_owners_cannot_mail_one_address_past_its_budget(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path,
        policy="library",
        clock=clock,
        workers=False,
        email_budget_per_address_per_hour=3,
        **smtp_overrides(smtp),
    ) as (client, runtime):
        answers = []
        for attempt in range(5):  # five fresh owners, each with its own rate-limit bucket
            headers, _ = bearer(runtime, f"fresh-{attempt}")
            answers.append(_sign_up(client, {"email": VICTIM}, headers))
            clock.advance(minutes=1)
        assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
        assert inbox.recipients == [[VICTIM]] * 3  # not five
        refused = answers[3]
        assert refused.json()["error"]["code"] == "rate_limited"
        # The oldest of the three mails leaves the hour 60 - 3 minutes from now.
        assert int(refused.headers["Retry-After"]) == 57 * 60
        assert VICTIM not in refused.text
        with runtime.session() as session:
            stored = session.scalar(select(func.count()).select_from(NotifySubscription))
            assert stored == 3  # the refused sign-ups stored nothing

        # Other addresses are not held up by one address's budget.
        headers, _ = bearer(runtime, "someone")
        other = _sign_up(client, {"email": "other@example.org"}, headers)
        assert other.status_code == 202

        # An hour after the first mail, the address may get one again.
        clock.advance(minutes=57)
        headers, _ = bearer(runtime, "later")
        assert _sign_up(client, {"email": VICTIM}, headers).status_code == 202
        assert inbox.recipients.count([VICTIM]) == 4


def test_the_deployment_budget_caps_all_confirmation_mail(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path,
        policy="library",
        clock=clock,
        workers=False,
        email_budget_per_hour=2,
        **smtp_overrides(smtp),
    ) as (client, runtime):
        codes = []
        for index in range(3):
            headers, _ = bearer(runtime, f"owner-{index}")
            response = _sign_up(client, {"email": f"person{index}@example.org"}, headers)
            codes.append(response.status_code)
        assert codes == [202, 202, 429]
        assert response.headers["Retry-After"] == "3600"
        assert len(inbox.messages) == 2


def test_the_budget_keeps_no_address_and_forgets_after_the_hour(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    _inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        headers, _ = bearer(runtime, "one")
        assert _sign_up(client, {"email": VICTIM}, headers).status_code == 202
        with runtime.session() as session:
            (row,) = session.scalars(select(OutgoingMail)).all()
            assert len(row.recipient_hash) == 64 and "@" not in row.recipient_hash
            (signup,) = session.scalars(select(NotifySubscription)).all()
            # Its own key: the budget cannot be joined to the signups without the vault.
            assert row.recipient_hash != signup.address_hash
        clock.advance(minutes=61)
        sweep(runtime)
        with runtime.session() as session:
            assert session.scalars(select(OutgoingMail)).all() == []
    assert files_containing(tmp_path / "data", [VICTIM.encode(), b"victim.inbox"]) == []
