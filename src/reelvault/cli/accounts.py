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
    get_account,
    list_accounts,
)
from reelvault.accounts.quota_overrides import QUOTA_FIELDS, quota_override
from reelvault.cli.state import state_of
from reelvault.errors import ValidationError
from reelvault.privacy.admin_actions import (
    OPERATOR_ACTOR,
    change_disabled,
    change_quota,
    change_role,
    read_address,
)
from reelvault.privacy.secret_store import get_secret

app = typer.Typer(
    help="Sign-in accounts (e-mail and password): create, list, show, disable, grant, quota. "
    "Changes are written to the audit log (actor: operator)."
)


def _line(account: AccountInfo) -> str:
    flags = [account.role] + (["operator"] if account.kind == "operator" else [])
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
    changed = change_disabled(state.runtime, account_id, not enable, actor=OPERATOR_ACTOR)
    state.console.print(_line(changed), markup=False)


@app.command("grant")
def grant(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ROLES)}.")],
) -> None:
    """Give an account a role (``admin`` or back to ``user``)."""
    state = state_of(ctx)
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", param="role")
    changed = change_role(state.runtime, account_id, role, actor=OPERATOR_ACTOR)
    state.console.print(_line(changed), markup=False)


@app.command("show")
def show(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument()],
    email: Annotated[
        bool, typer.Option("--email", help="Also show the address (the reading is audit-logged).")
    ] = False,
) -> None:
    """One account: its state and quota overrides; with --email, its address."""
    state = state_of(ctx)
    runtime = state.runtime
    state.console.print(_line(get_account(runtime, account_id)), markup=False)
    quota = quota_override(runtime, account_id)
    for name in QUOTA_FIELDS:
        value = quota.get(name)
        state.console.print(f"  {name}: {'plan' if value is None else value}", markup=False)
    if email:
        address = read_address(runtime, account_id, actor=OPERATOR_ACTOR)
        state.console.print(f"  email: {address or '(none)'}", markup=False)


@app.command("quota")
def quota(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument()],
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="NAME=N",
            help="An override, repeatable: "
            + "; ".join(f"{name} ({text})" for name, text in QUOTA_FIELDS.items())
            + ". Overrides not named go back to the plan's.",
        ),
    ] = None,
) -> None:
    """Replace an account's limit overrides (none named: all back to the plan's)."""
    state = state_of(ctx)
    values: dict[str, object] = {}
    for item in setting or []:
        name, sep, number = item.partition("=")
        if not sep or not number.strip().isdigit():
            raise ValidationError(f"--set takes NAME=N, not {item!r}", param="set")
        values[name.strip()] = int(number)
    changed = change_quota(state.runtime, account_id, values, actor=OPERATOR_ACTOR)
    shown = ", ".join(f"{name}={value}" for name, value in changed.items()) or "the plan's"
    state.console.print(f"{account_id} quota: {shown}", markup=False)


__all__ = ["app"]
