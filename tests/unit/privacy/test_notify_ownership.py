"""A second signup for a known address reveals and links nothing (issue 14, item 4).

The finding: owner B signed up with the address of owner A's confirmed signup; B's export
then showed A's signup and B's erase deleted it. Now B's signup is B's own, with its own
double opt-in, and the API answers the same whether the address was known or not.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from reelvault.privacy import news, notify
from reelvault.privacy.notify import SmtpSettings
from reelvault.testing import FakeClock

from .api_helpers import bearer, declare_adult, privacy_app
from .test_news import CONFIRM, quiet_throttle, signed_up, smtp_overrides
from .test_notify import Inbox, _link, smtp_server  # noqa: F401

ADDRESS = "alice.private@example.org"


def _contacts(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/privacy/export", headers=headers)
    assert response.status_code == 200
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("data.json"))
    (record,) = data["owners"]
    contacts: list[dict[str, Any]] = record["contacts"]
    return contacts


def _signup(client: TestClient, headers: dict[str, str], address: str) -> tuple[int, Any, str]:
    declare_adult(client, headers)
    response = client.post("/api/v1/privacy/notify", json={"email": address}, headers=headers)
    return response.status_code, response.json(), response.headers["content-type"]


def test_a_strangers_signup_is_not_exported_or_erased_through_mine(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        alice = signed_up(client, runtime, inbox, ADDRESS, "alice")
        assert [c["status"] for c in _contacts(client, alice)] == ["confirmed"]

        mallory, _ = bearer(runtime, "mallory")
        sent_before = len(inbox.messages)
        assert _signup(client, mallory, ADDRESS.upper())[0] == 202

        # Mallory's export holds only what Mallory typed, unconfirmed: not Alice's signup.
        exported = _contacts(client, mallory)
        assert [c["status"] for c in exported] == ["pending"]
        assert notify.count(runtime) == {"pending": 1, "confirmed": 1}
        # Mallory's signup started its own double opt-in: a new link went to the mailbox.
        assert len(inbox.messages) == sent_before + 1
        assert inbox.recipients[-1] == [ADDRESS.upper()]

        erased = client.post("/api/v1/privacy/erase", headers=mallory)
        assert erased.status_code == 200
        assert erased.json()["erased"]["contacts"] == 1  # Mallory's own pending signup
        # Alice is still subscribed and still gets the news.
        assert notify.count(runtime) == {"pending": 0, "confirmed": 1}
        assert [c["status"] for c in _contacts(client, alice)] == ["confirmed"]
        sent = news.send_news(runtime, smtp, subject="Open", body="Hi.", throttle=quiet_throttle())
        assert sent == 1 and inbox.recipients[-1] == [ADDRESS]


def test_only_the_mailbox_owners_confirmation_makes_the_second_signup_count(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        signed_up(client, runtime, inbox, ADDRESS, "alice")
        other_browser, _ = bearer(runtime, "alice-on-her-phone")
        assert _signup(client, other_browser, ADDRESS)[0] == 202
        assert [c["status"] for c in _contacts(client, other_browser)] == ["pending"]
        # Alice, reading her mailbox, follows the new link: now that signup is confirmed.
        token = _link(inbox.messages[-1], CONFIRM)
        assert client.get(f"{CONFIRM}?token={token}").status_code == 200
        assert [c["status"] for c in _contacts(client, other_browser)] == ["confirmed"]
        # Two confirmed signups, one mailbox: one message.
        assert news.audience(runtime) == 1


def test_the_signup_answer_is_the_same_for_known_and_unknown_addresses(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        signed_up(client, runtime, inbox, ADDRESS, "alice")
        pending, _ = bearer(runtime, "pending")
        assert _signup(client, pending, "pending.person@example.org")[0] == 202
        prober, _ = bearer(runtime, "prober")
        sent_before = len(inbox.messages)
        confirmed_answer = _signup(client, prober, ADDRESS)
        pending_answer = _signup(client, prober, "pending.person@example.org")
        unknown_answer = _signup(client, prober, "nobody.yet@example.org")
        assert confirmed_answer == pending_answer == unknown_answer
        assert confirmed_answer[:2] == (202, {"status": "check_your_inbox"})
        # And each of them really sent a confirmation: no silent difference either.
        assert len(inbox.messages) == sent_before + 3
