"""News e-mail: consent is checked at send time, message by message (issue 14, item 3).

Signups are made and confirmed through the API, as a visitor does; news goes out through
the real SMTP test server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from reelvault.cli.notify import app as notify_app
from reelvault.cli.state import CliState
from reelvault.db.dsr_models import OwnerContact
from reelvault.errors import ValidationError
from reelvault.privacy import age, audit_log, news, notify
from reelvault.privacy.notify import SmtpSettings
from reelvault.privacy.restrict import flags_row
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock

from .api_helpers import bearer, declare_adult, privacy_app
from .test_notify import Inbox, _link, smtp_server  # noqa: F401

CONFIRM = "/api/v1/privacy/notify/confirm"


def smtp_overrides(smtp: SmtpSettings) -> dict[str, Any]:
    return {
        "smtp_host": smtp.host,
        "smtp_port": smtp.port,
        "smtp_from": smtp.sender,
        "smtp_starttls": False,
        "smtp_username": smtp.username,
        "smtp_password": smtp.password,
        "public_base_url": smtp.public_base_url,
    }


def signed_up(
    client: TestClient, runtime: Runtime, inbox: Inbox, address: str, name: str
) -> dict[str, str]:
    """A new owner signs ``address`` up and follows the link in the confirmation e-mail."""
    headers, _owner = bearer(runtime, name)
    declare_adult(client, headers)
    response = client.post("/api/v1/privacy/notify", json={"email": address}, headers=headers)
    assert response.status_code == 202, response.text
    assert inbox.recipients[-1] == [address]
    token = _link(inbox.messages[-1], CONFIRM)
    assert client.get(f"{CONFIRM}?token={token}").status_code == 200
    return headers


def quiet_throttle() -> news.Throttle:
    return news.Throttle(60, sleep=lambda _: None)


def news_recipients(inbox: Inbox, subject: str) -> list[str]:
    return sorted(
        rcpt[0]
        for message, rcpt in zip(inbox.messages, inbox.recipients, strict=True)
        if message["Subject"] == subject
    )


@pytest.mark.parametrize("policy", ["library", "ephemeral"])
def test_objecting_or_withdrawing_consent_stops_news(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
    policy: str,
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy=policy, clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        objector = signed_up(client, runtime, inbox, "objector@example.org", "objector")
        withdrawer = signed_up(client, runtime, inbox, "withdrawer@example.org", "withdrawer")
        signed_up(client, runtime, inbox, "keen@example.org", "keen")
        assert news.audience(runtime) == 3

        assert client.post("/api/v1/privacy/object", headers=objector).status_code == 200
        withdrawn = client.put(
            "/api/v1/privacy/consents/marketing", json={"granted": False}, headers=withdrawer
        )
        assert withdrawn.status_code == 200

        assert news.audience(runtime) == 1
        sent = news.send_news(
            runtime, smtp, subject="We are open", body="Come in.", throttle=quiet_throttle()
        )
        assert sent == 1
        assert news_recipients(inbox, "We are open") == ["keen@example.org"]
        # Their signups are kept as they are (withdrawing is not unsubscribing), unused.
        assert notify.count(runtime)["confirmed"] == 3


def test_a_withdrawal_during_a_sending_run_is_honoured_for_the_next_message(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        signed_up(client, runtime, inbox, "first@example.org", "first")
        clock.advance(seconds=1)  # news goes out oldest signup first
        second = signed_up(client, runtime, inbox, "second@example.org", "second")

        def withdraw_while_waiting(_seconds: float) -> None:
            # The owner withdraws while the run waits for its next slot.
            client.put(
                "/api/v1/privacy/consents/marketing", json={"granted": False}, headers=second
            )

        throttle = news.Throttle(60, sleep=withdraw_while_waiting, monotonic=lambda: 0.0)
        assert news.send_news(runtime, smtp, subject="News", body="Hi.", throttle=throttle) == 1
        assert news_recipients(inbox, "News") == ["first@example.org"]


def test_under_age_owners_get_no_news(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        signed_up(client, runtime, inbox, "kid@example.org", "kid")
        (owner,) = _owners(runtime)
        # Declaring under age erases the signup; should a flag ever be set without that
        # (an operator's correction, an import), the send-time check still holds.
        with runtime.session() as session:
            flags_row(runtime, session, owner).under_age = True
        assert age.is_under_age(runtime, owner)
        assert news.audience(runtime) == 0
        assert news.send_news(runtime, smtp, subject="S", body="B", throttle=quiet_throttle()) == 0
        assert news_recipients(inbox, "S") == []


def _owners(runtime: Runtime) -> list[str]:
    with runtime.session() as session:
        return list(session.scalars(select(OwnerContact.owner_id)))


def test_each_message_has_one_click_unsubscribe_and_one_address_gets_one_message(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        # The same mailbox confirmed two signups (two browsers): one message, not two.
        signed_up(client, runtime, inbox, "twice@example.org", "browser-one")
        signed_up(client, runtime, inbox, "TWICE@example.org", "browser-two")
        assert news.audience(runtime) == 1
        assert news.send_news(runtime, smtp, subject="N", body="B.", throttle=quiet_throttle()) == 1
        (message,) = [m for m in inbox.messages if m["Subject"] == "N"]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        header = message["List-Unsubscribe"]
        assert header.startswith(f"<{smtp.public_base_url}{notify.UNSUBSCRIBE_PATH}?token=")
        token = parse_qs(urlparse(header[1:-1]).query)["token"][0]
        assert _link(message, notify.UNSUBSCRIBE_PATH) == token  # the link is in the text too
        one_click = client.post(
            f"{notify.UNSUBSCRIBE_PATH}?token={token}", data={"List-Unsubscribe": "One-Click"}
        )
        assert one_click.status_code == 200
        # The mailbox owner spoke for the address: every signup of it is gone.
        assert notify.count(runtime) == {"pending": 0, "confirmed": 0}


def test_after_unsubscribing_the_next_news_skips_the_address(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        signed_up(client, runtime, inbox, "leaving@example.org", "leaving")
        signed_up(client, runtime, inbox, "staying@example.org", "staying")
        assert (
            news.send_news(runtime, smtp, subject="One", body="B.", throttle=quiet_throttle()) == 2
        )
        assert news_recipients(inbox, "One") == ["leaving@example.org", "staying@example.org"]
        (message,) = [
            m
            for m, rcpt in zip(inbox.messages, inbox.recipients, strict=True)
            if m["Subject"] == "One" and rcpt == ["leaving@example.org"]
        ]
        token = parse_qs(urlparse(message["List-Unsubscribe"][1:-1]).query)["token"][0]
        one_click = client.post(
            f"{notify.UNSUBSCRIBE_PATH}?token={token}", data={"List-Unsubscribe": "One-Click"}
        )
        assert one_click.status_code == 200
        assert news.audience(runtime) == 1
        assert (
            news.send_news(runtime, smtp, subject="Two", body="B.", throttle=quiet_throttle()) == 1
        )
        assert news_recipients(inbox, "Two") == ["staying@example.org"]
        assert notify.count(runtime) == {"pending": 0, "confirmed": 1}


def test_sending_is_throttled() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    throttle = news.Throttle(30, sleep=sleep, monotonic=lambda: now[0])
    for _ in range(3):
        throttle.wait()
        throttle.sent()
    assert slept == [2.0, 2.0]  # 30 a minute: one every 2 seconds, the first at once


def test_subjects_cannot_carry_headers() -> None:
    with pytest.raises(ValidationError) as caught:
        news.check_subject("Hello\r\nBcc: everyone@example.org")
    assert "subject" in str(caught.value)


def _cli(data_dir: Path) -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        state = CliState(data_dir=data_dir, policy="library")
        ctx.obj = state
        ctx.call_on_close(state.close)

    root.add_typer(notify_app, name="notify")
    return root


def test_notify_send_is_a_dry_run_until_told_and_audits_the_count_only(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path, policy="library", clock=clock, workers=False, **smtp_overrides(smtp)
    ) as (client, runtime):
        signed_up(client, runtime, inbox, "reader.one@example.org", "one")
        objector = signed_up(client, runtime, inbox, "reader.two@example.org", "two")
        client.post("/api/v1/privacy/object", headers=objector)
    body = tmp_path / "news.txt"
    body.write_text("We are open. Come in.\n", encoding="utf-8")
    env = {f"REELVAULT_{name.upper()}": str(value) for name, value in smtp_overrides(smtp).items()}
    env["REELVAULT_NOTIFY_SEND_PER_MINUTE"] = "6000"
    cli = _cli(tmp_path / "data")
    args = ["notify", "send", "--subject", "Open", "--body-file", str(body)]
    before = len(inbox.messages)

    dry = CliRunner().invoke(cli, args, env=env)
    assert dry.exit_code == 0, dry.output
    assert "1 address(es) would receive it" in dry.stdout
    assert "@" not in dry.stdout  # a number, never an address
    assert len(inbox.messages) == before

    sent = CliRunner().invoke(cli, [*args, "--send"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "sent to 1 address(es)" in sent.stdout and "@" not in sent.stdout
    assert news_recipients(inbox, "Open") == ["reader.one@example.org"]

    state = CliState(data_dir=tmp_path / "data", policy="library")
    try:
        (entry,) = [e for e in audit_log.iter_entries(state.runtime) if e.action == "notify.sent"]
        assert entry.fields == {"messages": 1, "final": False}
        assert "@" not in json.dumps(entry.fields)
    finally:
        state.close()
