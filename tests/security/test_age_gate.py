"""Issue 15, finding 10: the age answer cannot be flipped back; adults-only actions ask first.

Reproductions of a probe of a live server: an owner declared being under age, then
"adult", and notify-me worked again; an owner who never answered was never asked before
granting marketing or a third-party provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from reelvault.cli.privacy import app as privacy_cli
from reelvault.cli.state import CliState
from reelvault.db.privacy_models import AuditEntry
from reelvault.privacy import adults, consent
from reelvault.privacy.notify import SmtpSettings
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock
from tests.unit.privacy.api_helpers import bearer, privacy_app
from tests.unit.privacy.test_notify import Inbox, smtp_server  # noqa: F401

AGE = "/api/v1/privacy/age"
NOTIFY = "/api/v1/privacy/notify"
MARKETING = "/api/v1/privacy/consents/marketing"
PROVIDER = "/api/v1/privacy/consents/provider:fal"
Headers = dict[str, str]


@contextmanager
def library_app(tmp_path: Path, smtp: SmtpSettings) -> Iterator[tuple[TestClient, Runtime]]:
    """The library profile (it keeps e-mail, so it asks the age) with notify-me on."""
    with privacy_app(
        tmp_path,
        policy="library",
        clock=FakeClock(),
        workers=False,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from=smtp.sender,
        smtp_starttls=False,
        smtp_username=smtp.username,
        smtp_password=smtp.password,
        public_base_url=smtp.public_base_url,
    ) as opened:
        yield opened


def _owner(runtime: Runtime) -> tuple[Headers, str]:
    headers, owner = bearer(runtime)
    bearer(runtime, "someone else")  # so the API keeps requiring keys
    return headers, owner


def _cli(data_dir: Path) -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        state = CliState(data_dir=data_dir, policy="library")
        ctx.obj = state
        ctx.call_on_close(state.close)

    root.add_typer(privacy_cli, name="privacy")
    return root


def _error(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def test_an_under_age_answer_cannot_be_flipped_back(
    tmp_path: Path,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with library_app(tmp_path, smtp) as (client, runtime):
        headers, owner = _owner(runtime)
        assert (
            client.post(AGE, json={"over_minimum_age": False}, headers=headers).status_code == 200
        )
        flipped = client.post(AGE, json={"over_minimum_age": True}, headers=headers)
        assert flipped.status_code == 403
        assert "cannot be changed" in _error(flipped)["message"]
        assert adults.is_under_age(runtime, owner)
        # Nothing only adults may do works again.
        assert (
            client.post(NOTIFY, json={"email": "kid@example.org"}, headers=headers).status_code
            == 403
        )
        assert inbox.messages == []
        for path in (MARKETING, PROVIDER):
            refused = client.put(path, json={"granted": True}, headers=headers)
            assert refused.status_code == 403 and _error(refused)["code"] == "forbidden", path
        assert consent.history(runtime, owner) == []


def test_only_the_operator_clears_it_and_the_owner_is_then_asked_again(
    tmp_path: Path,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with library_app(tmp_path, smtp) as (client, runtime):
        headers, owner = _owner(runtime)
        client.post(AGE, json={"over_minimum_age": False}, headers=headers)
        cli = _cli(tmp_path / "data")
        cleared = CliRunner().invoke(cli, ["privacy", "age-clear", owner, "--yes"])
        assert cleared.exit_code == 0, cleared.output
        with runtime.session() as session:
            entries = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "privacy.age_cleared")
            ).all()
            assert [(e.actor, e.fields) for e in entries] == [("operator", {"cleared": 1})]
        # Cleared: the owner is asked again before anything only adults may do.
        asked = client.put(MARKETING, json={"granted": True}, headers=headers)
        assert asked.status_code == 403 and _error(asked)["code"] == "age_required"
        assert client.post(AGE, json={"over_minimum_age": True}, headers=headers).status_code == 200
        assert client.put(MARKETING, json={"granted": True}, headers=headers).status_code == 200
        assert (
            client.post(NOTIFY, json={"email": "adult@example.org"}, headers=headers).status_code
            == 202
        )
        assert inbox.recipients == [["adult@example.org"]]
        # Nothing left to clear: the operator is told so.
        again = CliRunner().invoke(cli, ["privacy", "age-clear", owner, "--yes"])
        assert again.exit_code != 0
        assert "no under-age declaration" in str(again.exception)


def test_adults_only_actions_ask_an_owner_who_never_answered(
    tmp_path: Path,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with library_app(tmp_path, smtp) as (client, runtime):
        headers, owner = _owner(runtime)
        asked = [
            client.put(MARKETING, json={"granted": True}, headers=headers),
            client.put(PROVIDER, json={"granted": True}, headers=headers),
            client.post(NOTIFY, json={"email": "someone@example.org"}, headers=headers),
        ]
        for response in asked:
            assert response.status_code == 403, response.text
            error = _error(response)
            assert error["code"] == "age_required"
            assert error["age_endpoint"] == AGE and error["minimum_age"] == 13
        assert inbox.messages == [] and consent.history(runtime, owner) == []
        # Not adults-only, or a withdrawal: nothing to ask.
        assert (
            client.put(
                "/api/v1/privacy/consents/analytics", json={"granted": True}, headers=headers
            ).status_code
            == 200
        )
        assert client.put(MARKETING, json={"granted": False}, headers=headers).status_code == 200
        # Answered: the same requests go through.
        assert client.post(AGE, json={"over_minimum_age": True}, headers=headers).status_code == 200
        assert client.put(MARKETING, json={"granted": True}, headers=headers).status_code == 200
        assert client.put(PROVIDER, json={"granted": True}, headers=headers).status_code == 200
        assert (
            client.post(NOTIFY, json={"email": "someone@example.org"}, headers=headers).status_code
            == 202
        )
