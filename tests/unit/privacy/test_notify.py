"""Notify-me against a real SMTP server (aiosmtpd on a loopback port): a real exchange."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from reelvault.db.privacy_models import NotifySubscription
from reelvault.errors import ConfigError, ValidationError
from reelvault.privacy import audit_log, news, notify
from reelvault.privacy.notify import SmtpSettings
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock

from .conftest import OpenRuntime

ADDRESS = "Jane.Doe+news@example.org"
BASE = "https://video.example"


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Authenticator:
    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
                 ) -> AuthResult:  # fmt: skip
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, SmtpSettings]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_Authenticator(),
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield (
            inbox,
            SmtpSettings(
                host="127.0.0.1",
                port=port,
                sender="news@video.example",
                public_base_url=BASE,
                starttls=False,
                username="reelvault",
                password="s3cret",
            ),
        )
    finally:
        controller.stop()


def _send(runtime: Runtime, smtp: SmtpSettings, **kwargs: Any) -> int:
    """news.send_news, paced by a throttle that does not really sleep."""
    return news.send_news(runtime, smtp, throttle=news.Throttle(60, sleep=lambda _: None), **kwargs)


def _link(message: Message, path: str) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(re.escape(BASE + path) + r"\?token=([\w\-%]+)", body.decode())
    assert match, "link not found"
    return parse_qs(urlparse(match.group(0)).query)["token"][0]


def test_double_opt_in_then_news_then_one_click_unsubscribe(
    open_runtime: OpenRuntime, smtp_server: tuple[Inbox, SmtpSettings], tmp_path: Path
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("library")
    signup = notify.subscribe(runtime, smtp, ADDRESS)
    assert signup.sent
    assert inbox.recipients == [[ADDRESS]]
    confirmation = inbox.messages[0]
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Nothing is sent to a pending signup.
    assert _send(runtime, smtp, subject="We are open", body="Come in.") == 0
    assert notify.count(runtime) == {"pending": 1, "confirmed": 0}

    token = _link(confirmation, notify.CONFIRM_PATH)
    assert notify.confirm(runtime, token)
    assert not notify.confirm(runtime, token)  # one use only
    assert notify.count(runtime) == {"pending": 0, "confirmed": 1}

    assert _send(runtime, smtp, subject="We are open", body="Come in.") == 1
    news = inbox.messages[-1]
    assert news["Subject"] == "We are open"
    header = news["List-Unsubscribe"]
    assert header.startswith(f"<{BASE}{notify.UNSUBSCRIBE_PATH}?token=") and header.endswith(">")
    unsubscribe_token = parse_qs(urlparse(header[1:-1]).query)["token"][0]
    # The same link works from every message, old ones included.
    assert unsubscribe_token == _link(confirmation, notify.UNSUBSCRIBE_PATH)

    assert notify.unsubscribe(runtime, unsubscribe_token)
    assert not notify.unsubscribe(runtime, unsubscribe_token)  # idempotent
    assert notify.count(runtime) == {"pending": 0, "confirmed": 0}
    assert [entry.action for entry in audit_log.iter_entries(runtime)] == [
        "notify.signup", "notify.sent", "notify.confirmed", "notify.sent", "notify.unsubscribed",
    ]  # fmt: skip
    runtime.close()
    _assert_no_trace(tmp_path, ADDRESS)


def _assert_no_trace(root: Path, address: str) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            assert address.lower().encode() not in data, path.name
            assert b"jane.doe" not in data, path.name


def test_the_address_is_stored_encrypted_and_found_by_keyed_hash(
    open_runtime: OpenRuntime, smtp_server: tuple[Inbox, SmtpSettings], tmp_path: Path
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("library")
    first = notify.subscribe(runtime, smtp, ADDRESS)
    again = notify.subscribe(runtime, smtp, "  jane.doe+NEWS@EXAMPLE.ORG ")
    assert again.subscription_id == first.subscription_id  # same person, fresh link
    assert len(inbox.messages) == 2
    old, new = (_link(message, notify.CONFIRM_PATH) for message in inbox.messages)
    assert not notify.confirm(runtime, old)
    assert notify.confirm(runtime, new)
    assert not notify.subscribe(runtime, smtp, ADDRESS).sent  # confirmed: nothing sent
    with runtime.session() as session:
        row = session.scalars(select(NotifySubscription)).one()
        assert row.data_class == "contact" and row.expires_at is None  # library: until deleted
        assert len(row.address_hash) == 64
    runtime.close()
    _assert_no_trace(tmp_path, ADDRESS)  # neither the DB nor the vault holds it in clear


def test_unconfirmed_signups_are_shredded_after_the_window(
    open_runtime: OpenRuntime, smtp_server: tuple[Inbox, SmtpSettings], clock: FakeClock
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("ephemeral")
    notify.subscribe(runtime, smtp, ADDRESS)
    objects_before = set(runtime.vault.object_ids())
    clock.advance(days=3)
    assert not notify.confirm(runtime, _link(inbox.messages[0], notify.CONFIRM_PATH))
    assert notify.delete_expired(runtime) == 1
    assert notify.count(runtime) == {"pending": 0, "confirmed": 0}
    assert len(objects_before - set(runtime.vault.object_ids())) == 1


def test_final_news_deletes_every_address(
    open_runtime: OpenRuntime, smtp_server: tuple[Inbox, SmtpSettings]
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("ephemeral")
    for index in range(3):
        notify.subscribe(runtime, smtp, f"person{index}@example.org")
    for message in list(inbox.messages):
        assert notify.confirm(runtime, _link(message, notify.CONFIRM_PATH))
    sent = _send(runtime, smtp, subject="Available", body="It works.", final=True)
    assert sent == 3
    assert sorted(r[0] for r in inbox.recipients[3:]) == [
        f"person{index}@example.org" for index in range(3)
    ]
    assert notify.count(runtime) == {"pending": 0, "confirmed": 0}


def test_standard_retention_starts_when_the_news_was_sent(
    open_runtime: OpenRuntime, smtp_server: tuple[Inbox, SmtpSettings], clock: FakeClock
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("standard")  # contact: until resolved + 30 days
    notify.subscribe(runtime, smtp, ADDRESS)
    notify.confirm(runtime, _link(inbox.messages[0], notify.CONFIRM_PATH))
    clock.advance(days=100)
    assert notify.delete_expired(runtime) == 0  # not resolved yet: kept
    _send(runtime, smtp, subject="Open", body="Now.")
    clock.advance(days=31)
    assert notify.delete_expired(runtime) == 1


def test_bad_addresses_and_failed_delivery_keep_nothing(
    open_runtime: OpenRuntime, smtp_server: tuple[Inbox, SmtpSettings]
) -> None:
    _, smtp = smtp_server
    runtime: Runtime = open_runtime("library")
    for bad in ("not an address", "a@b", "x@example.org\r\nBcc: y@example.org"):
        with pytest.raises(ValidationError) as caught:
            notify.subscribe(runtime, smtp, bad)
        assert bad not in str(caught.value)
    wrong_password = SmtpSettings(
        host=smtp.host, port=smtp.port, sender=smtp.sender, public_base_url=BASE,
        starttls=False, username="reelvault", password="wrong",
    )  # fmt: skip
    assert "wrong" not in repr(wrong_password)
    with pytest.raises(ConfigError) as caught:
        notify.subscribe(runtime, wrong_password, ADDRESS)
    assert ADDRESS not in str(caught.value)
    assert notify.count(runtime) == {"pending": 0, "confirmed": 0}
    with runtime.session() as session:
        assert session.scalars(select(NotifySubscription)).all() == []
