"""``reelvault accounts``: the operator's view of sign-in accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from reelvault.accounts.accounts import (
    EMAIL_LOOKUP_SECRET,
    ROLES,
    AccountInfo,
    create_account,
    list_accounts,
    set_disabled,
    set_role,
)
from reelvault.cli.state import state_of
from reelvault.privacy.secret_store import get_secret

app = typer.Typer(help="Sign-in accounts (e-mail and password): create, list, disable, grant.")


def _line(account: AccountInfo) -> str:
    flags = [account.role]
    if not account.email_verified:
        flags.append("unverified")
    if account.disabled:
        flags.append("disabled")
    return (
        f"{account.id}  owner {account.owner_id}  created {account.created_at:%Y-%m-%d}  "
        + ", ".join(flags)
    )


@app.command("create")
def create(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The address the person signs in with.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="Give the account the admin role.")
    ] = False,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
) -> None:
    """Create an account (the person confirmed their age to you). Asks for the password,
    which never appears on the command line."""
    state = state_of(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    runtime = state.runtime
    account = create_account(
        runtime,
        get_secret(runtime, EMAIL_LOOKUP_SECRET),
        email=email,
        password=password,
        age_confirmed=True,
        role="admin" if admin else "user",
    )
    state.console.print(_line(account), markup=False)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List accounts: ids, roles and states (never addresses or password hashes)."""
    state = state_of(ctx)
    for account in list_accounts(state.runtime):
        state.console.print(_line(account), markup=False)


@app.command("disable")
def disable(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument()],
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
) -> None:
    """Disable an account: its sessions end at once and it cannot sign in."""
    state = state_of(ctx)
    state.console.print(_line(set_disabled(state.runtime, account_id, not enable)), markup=False)


@app.command("grant")
def grant(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ROLES)}.")],
) -> None:
    """Give an account a role (``admin`` or back to ``user``)."""
    state = state_of(ctx)
    state.console.print(_line(set_role(state.runtime, account_id, role)), markup=False)


__all__ = ["app"]
