"""Settings of sign-in accounts and of the e-mail they (and notify-me) send.

A part of :class:`reelvault.config.Settings` (which inherits these fields), kept in its
own module so that each stays small; read them through ``Settings`` like any other.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings


class AccountSettings(BaseSettings):
    accounts_enabled: bool = Field(
        default=True,
        description=(
            "Let people sign up and sign in with an e-mail address and a password (the "
            "studio shows its account pages). Off: sign-up, sign-in and password reset "
            "answer 404 and the studio says accounts are off; API keys and pseudonymous "
            "studio sessions work as before."
        ),
    )
    session_lifetime_days: int = Field(
        default=30,
        ge=1,
        le=400,
        description="A studio session ends this many days after it began, used or not.",
    )
    session_idle_hours: int = Field(
        default=168,
        ge=1,
        description="A studio session not used for this many hours ends (sign in again).",
    )
    login_failures_before_backoff: int = Field(
        default=5,
        ge=1,
        description=(
            "Wrong passwords allowed per account and per network address before sign-in "
            "waits (429 with Retry-After), doubling with each further failure."
        ),
    )
    login_backoff_max_seconds: int = Field(
        default=900, ge=1, description="The longest wait sign-in backoff imposes."
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for notify-me e-mail; unset: notify-me is off."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_from: str | None = Field(default=None, description="From address of notify-me e-mail.")
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login (optional).")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (optional).")
    email_budget_per_hour: int = Field(
        default=100,
        ge=0,
        description="Confirmation e-mails the whole deployment sends per hour (0: no limit); "
        "past it, sign-ups get 429 and nothing is sent.",
    )
    email_budget_per_address_per_hour: int = Field(
        default=3,
        ge=0,
        description="Confirmation e-mails one address receives per hour (0: no limit); "
        "counted by a keyed hash of the address, never the address.",
    )


__all__ = ["AccountSettings"]
