"""The account e-mails: confirm the address, reset the password (SMTP settings as notify-me).

Sent for requests nobody vouched for, so each counts against the outgoing-mail budget
(:func:`reelvault.privacy.mail_budget.reserve`) before anything is sent. Links point at
the studio (``public_base_url``); the token in them works once.
"""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from reelvault.privacy.notify import Mailer, SmtpSettings, smtp_settings
from reelvault.runtime import Runtime

VERIFY_PATH = "/account/verify-email"
RESET_PATH = "/account/password-reset"
ACCOUNT_MAIL = "account"


def mail_settings(runtime: Runtime) -> SmtpSettings | None:
    """None when this deployment sends no mail (smtp_host, smtp_from, public_base_url)."""
    return smtp_settings(runtime.settings)


def _message(
    runtime: Runtime, smtp: SmtpSettings, to: str, subject: str, body: str
) -> EmailMessage:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(runtime.clock())
    message["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[-1])
    message.set_content(body)
    return message


def _send(runtime: Runtime, smtp: SmtpSettings, to: str, subject: str, body: str) -> None:
    with Mailer(smtp) as mailer:
        mailer.send(_message(runtime, smtp, to, subject, body))


def send_verification(runtime: Runtime, smtp: SmtpSettings, to: str, token: str) -> None:
    body = (
        "Someone (we hope you) made an account with this address.\n\n"
        f"To confirm it is yours, open this link within 2 days:\n{smtp.link(VERIFY_PATH, token)}"
        "\n\nIf it was not you, ignore this e-mail: the address stays unconfirmed.\n"
    )
    _send(runtime, smtp, to, "Confirm your e-mail address", body)


def send_signup_attempt(runtime: Runtime, smtp: SmtpSettings, to: str) -> None:
    body = (
        "Someone tried to make a new account with this address, which already has one. "
        "Nothing was changed.\n\n"
        "If it was you: sign in instead, or ask for a password reset there if you "
        f"forgot it: {smtp.public_base_url.rstrip('/')}/\n\n"
        "If it was not you, ignore this e-mail: your account stays as it is.\n"
    )
    _send(runtime, smtp, to, "Someone tried to sign up with your address", body)


def send_password_reset(runtime: Runtime, smtp: SmtpSettings, to: str, token: str) -> None:
    body = (
        "Someone (we hope you) asked to reset the password of the account with this "
        "address.\n\nTo choose a new password, open this link within an hour:\n"
        f"{smtp.link(RESET_PATH, token)}\n\n"
        "If it was not you, ignore this e-mail: your password stays as it is.\n"
    )
    _send(runtime, smtp, to, "Reset your password", body)


__all__ = [
    "ACCOUNT_MAIL",
    "RESET_PATH",
    "VERIFY_PATH",
    "mail_settings",
    "send_password_reset",
    "send_signup_attempt",
    "send_verification",
]
