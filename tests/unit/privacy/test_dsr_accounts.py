"""A verified e-mail request reaches the sign-in account made with that address.

A person who has an account but cannot sign in (a lost password) asks by e-mail; the
address is what links them to their data, and ``reelvault accounts list`` shows no
addresses, so the operator cannot link the account by hand. Verifying the request must
find it (through the account's keyed lookup) and act on it like on any linked owner.
"""

from __future__ import annotations

from sqlalchemy import select

from reelvault.accounts.accounts import EMAIL_LOOKUP_SECRET, AccountInfo, create_account
from reelvault.db.models import Account
from reelvault.privacy import dsr
from reelvault.privacy.notify import SmtpSettings
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime

from .conftest import OpenRuntime
from .test_dsr import _code
from .test_notify import Inbox, smtp_server  # noqa: F401

ADDRESS = "Lost.Password@Example.org"


def _account(runtime: Runtime) -> AccountInfo:
    return create_account(
        runtime,
        get_secret(runtime, EMAIL_LOOKUP_SECRET),
        email=ADDRESS.lower(),
        password="correct horse battery",
        age_confirmed=True,
    )


def test_an_emailed_erase_ends_the_account_made_with_the_address(
    open_runtime: OpenRuntime,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("library")
    account = _account(runtime)
    with runtime.session() as session:
        email_object = session.scalars(select(Account)).one().email_object
    dsr.create_request(runtime, smtp, kind=dsr.RequestKind.ERASE, address=ADDRESS)
    outcome = dsr.verify(runtime, _code(inbox))
    assert outcome.owners == [account.owner_id]
    with runtime.session() as session:
        assert session.scalars(select(Account)).all() == []
    assert not runtime.vault.exists(email_object)  # type: ignore[arg-type]


def test_an_emailed_access_request_counts_the_account(
    open_runtime: OpenRuntime,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("library")
    account = _account(runtime)
    dsr.create_request(runtime, smtp, kind=dsr.RequestKind.ACCESS, address=ADDRESS.upper())
    outcome = dsr.verify(runtime, _code(inbox))
    assert outcome.owners == [account.owner_id]
    assert outcome.data is not None
    (summary,) = outcome.data["owners"]
    assert summary["holds_data"] is True and "account" in summary["held"]
