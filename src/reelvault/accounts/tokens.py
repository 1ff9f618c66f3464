"""Single-use, expiring links for accounts: verify the e-mail address, reset the password.

A token is 256 random bits, sent once by e-mail; only its SHA-256 is stored. Redeeming
deletes it (single use), and one for another purpose or past its time opens nothing.
Issuing a new one of a purpose ends the account's earlier ones of that purpose, so only
the latest link works.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete

from reelvault.accounts.owners import secret_digest
from reelvault.db.models import AccountToken
from reelvault.runtime import Runtime

VERIFY_EMAIL = "verify_email"
PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a secret)
LIFETIMES = {VERIFY_EMAIL: timedelta(days=2), PASSWORD_RESET: timedelta(hours=1)}


def issue_token(runtime: Runtime, account_id: str, purpose: str) -> str:
    token = secrets.token_urlsafe(32)
    now = runtime.clock()
    with runtime.session() as session:
        session.execute(
            delete(AccountToken).where(
                AccountToken.account_id == account_id, AccountToken.purpose == purpose
            )
        )
        session.add(
            AccountToken(
                token_hash=secret_digest(token),
                account_id=account_id,
                purpose=purpose,
                created_at=now,
                expires_at=now + LIFETIMES[purpose],
            )
        )
    return token


def redeem_token(runtime: Runtime, token: str, purpose: str) -> str | None:
    """The account the token was issued for, once; None when unknown, used or expired."""
    with runtime.session() as session:
        row = session.get(AccountToken, secret_digest(token))
        if row is None or row.purpose != purpose:
            return None
        session.delete(row)
        if row.expires_at <= runtime.clock():
            return None
        return row.account_id


__all__ = ["LIFETIMES", "PASSWORD_RESET", "VERIFY_EMAIL", "issue_token", "redeem_token"]
