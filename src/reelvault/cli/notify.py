"""Notify-me commands: send the news people signed up for."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelvault.cli.state import state_of
from reelvault.errors import ConfigError, ValidationError
from reelvault.privacy import news, notify

app = typer.Typer(help="Notify-me e-mail (double opt-in signups).", no_args_is_help=True)


def _read_body(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"cannot read the body file ({exc.strerror or type(exc).__name__})", param="body_file"
        ) from None
    if len(data) > news.MAX_BODY * 4:
        raise ValidationError("the body file is too large", param="body_file")
    try:
        return news.check_body(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValidationError("the body file is not UTF-8 text", param="body_file") from None


@app.command("send")
def send_command(
    ctx: typer.Context,
    subject: Annotated[str, typer.Option("--subject", help="The e-mail's subject (one line).")],
    body_file: Annotated[
        Path,
        typer.Option(
            "--body-file",
            help="A UTF-8 text file with the message; the unsubscribe link is added below it.",
        ),
    ],
    send: Annotated[
        bool,
        typer.Option(
            "--send", help="Really send. Without it, a dry run: only the count is printed."
        ),
    ] = False,
    final: Annotated[
        bool,
        typer.Option(
            "--final",
            help="This is the news people signed up for: delete each address once it got it.",
        ),
    ] = False,
) -> None:
    """Send news to every confirmed signup that may receive it now.

    Consent is checked for each message as it leaves: confirmed signups whose owners
    granted (and did not withdraw or object to) marketing and did not declare being under
    age. Each message carries a one-click unsubscribe. Paced by notify_send_per_minute;
    the audit log records how many were sent, never to whom. No address is ever printed.
    """
    state = state_of(ctx)
    runtime = state.runtime
    subject = news.check_subject(subject)
    body = _read_body(body_file)
    if not send:
        count = news.audience(runtime)
        state.console.print(
            f"dry run: {count} address(es) would receive it now. Add --send to send.",
            markup=False,
        )
        return
    smtp = notify.smtp_settings(runtime.settings)
    if smtp is None:
        raise ConfigError("sending needs the smtp_host, smtp_from and public_base_url settings")
    sent = news.send_news(runtime, smtp, subject=subject, body=body, final=final)
    note = " (their addresses were deleted)" if final and sent else ""
    state.console.print(f"sent to {sent} address(es){note}", markup=False)


__all__ = ["app"]
