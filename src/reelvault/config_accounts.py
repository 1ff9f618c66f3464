"""Settings of sign-in accounts and of the e-mail they (and notify-me) send.

A part of :class:`reelvault.config.Settings` (which inherits these fields), kept in its
own module so that each stays small; read them through ``Settings`` like any other.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator
from pydantic_settings import BaseSettings

OIDC_PROVIDER_ID = r"^[a-z0-9][a-z0-9-]{0,31}$"
"""A provider's name in the settings and in /auth/oidc/{provider}/... (a URL segment)."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OidcProvider(BaseModel):
    """One OpenID Connect provider, found by its issuer URL (discovery does the rest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(
        max_length=300,
        description="The issuer URL, exactly as the provider's ID tokens name it "
        "(e.g. https://accounts.google.com).",
    )
    client_id: str = Field(min_length=1, max_length=300)
    client_secret: SecretStr = Field(description="The client secret this server was given.")
    display_name: str = Field(min_length=1, max_length=60, description="Shown on the button.")

    @field_validator("issuer")
    @classmethod
    def _https_issuer(cls, value: str) -> str:
        # ID tokens and codes travel over this: plain http only to this machine (a test
        # or development provider), never across a network.
        parts = urlsplit(value)
        if parts.query or parts.fragment or not parts.hostname:
            raise ValueError("an issuer is an https URL without query or fragment")
        if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname)):
            raise ValueError("an issuer URL must use https (http only on localhost)")
        return value


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
    signups_per_address_per_hour: int = Field(
        default=10,
        ge=0,
        description=(
            "Sign-ups one network address may make per hour (0: no limit), counted by "
            "today's address pseudonym (an IPv6 client by its /64); past it, 429 with "
            "Retry-After."
        ),
    )
    cors_allow_origins: list[str] = Field(
        default_factory=list,
        description=(
            "Other web origins (scheme://host[:port]) whose pages may call this API from "
            "a browser, with credentials. Empty (the default): same origin only, and "
            "preflight requests are refused."
        ),
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
    oidc_providers: dict[
        Annotated[str, StringConstraints(pattern=OIDC_PROVIDER_ID)], OidcProvider
    ] = Field(
        default_factory=dict,
        description="OpenID Connect sign-in providers by name (lower-case letters, digits, "
        "dashes): each an issuer URL, client id, client secret and display name. In the "
        'environment one JSON object: REELVAULT_OIDC_PROVIDERS=\'{"google": {"issuer": '
        '"https://accounts.google.com", "client_id": "...", "client_secret": "...", '
        '"display_name": "Google"}}\'. See docs/accounts.md.',
    )

    @field_validator("cors_allow_origins", mode="after")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        # Exact origins only: a browser sends "scheme://host[:port]", nothing more, and
        # "*" with credentials would let every site act as a signed-in user.
        for entry in value:
            parts = urlsplit(entry)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or "*" in entry
                or entry.rstrip("/") != f"{parts.scheme}://{parts.netloc}"
                or parts.username is not None
            ):
                raise ValueError(
                    "cors_allow_origins takes origins like https://app.example.com "
                    "(scheme, host and optional port; no path, no wildcard)"
                )
        return [entry.rstrip("/") for entry in value]


__all__ = ["OIDC_PROVIDER_ID", "AccountSettings", "OidcProvider"]
