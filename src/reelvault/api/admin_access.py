"""Who may use the admin routes (``/api/v1/admin``): an administrator, and only one.

Two things must hold together: the credential carries the ``admin`` scope (a key made
with it, or a session signed in to an admin account), *and* its owner's account has the
admin role and is not disabled. The scope alone is not enough: a key made with
``admin`` for an owner without an account (an old CLI key, or ``--own-owner``) is
refused, and so is one whose account lost the role. In keyless single-user mode (no key
has ever existed, the server is on loopback; see ``operator_access``) the caller is the
operator at this machine, as for ``/metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool

from reelvault.accounts.accounts import account_for_owner
from reelvault.accounts.keys import keyless_mode
from reelvault.accounts.scopes import ADMIN
from reelvault.errors import ForbiddenError
from reelvault.http.deps import CallerDep, RuntimeDep, insufficient_scope
from reelvault.privacy.admin_actions import OPERATOR_ACTOR

NOT_AN_ADMIN = (
    "the admin routes are for admin accounts: this credential's owner is not an "
    "administrator (reelvault accounts grant ACCOUNT_ID admin)"
)


@dataclass(frozen=True)
class Admin:
    """Who acts: ``actor`` is written to the audit log (an account id, or ``operator``)."""

    actor: str
    account_id: str | None


async def admin_caller(caller: CallerDep, runtime: RuntimeDep) -> Admin:
    if caller.credential == "local" or (
        caller.credential == "session" and await run_in_threadpool(keyless_mode, runtime)
    ):
        return Admin(actor=OPERATOR_ACTOR, account_id=None)
    if ADMIN not in caller.scopes:
        raise insufficient_scope(caller, ADMIN)
    account = await run_in_threadpool(account_for_owner, runtime, caller.owner_id)
    if account is None or account.role != "admin" or account.disabled:
        raise ForbiddenError(NOT_AN_ADMIN)
    return Admin(actor=account.id, account_id=account.id)


admin_caller.required_scope = ADMIN  # type: ignore[attr-defined]  # read by the route audit test

AdminDep = Annotated[Admin, Depends(admin_caller)]
REQUIRE_ADMIN = Depends(admin_caller)

__all__ = ["NOT_AN_ADMIN", "REQUIRE_ADMIN", "Admin", "AdminDep", "admin_caller"]
