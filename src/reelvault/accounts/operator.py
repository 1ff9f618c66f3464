"""The local operator account: who owns the keys ``reelvault keys create`` makes.

In the embedded mode the person at the shell is the operator: the CLI acts as the
``local`` owner, and so does the keyless single-user server. The keys that person makes
with the CLI (without ``--account``) belong to one account of kind ``operator`` whose
owner is that same ``local`` owner, with the admin role: a key made at the shell acts on
the shell's jobs and may reach the admin routes when it carries the ``admin`` scope. The
account is made on first need; it has no e-mail address and no password, so nobody can
sign in to it, and nothing personal is stored for it.
"""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError as DbIntegrityError

from reelvault.accounts.accounts import AccountInfo, account_for_owner
from reelvault.accounts.owners import ensure_owner
from reelvault.db.models import Account
from reelvault.errors import StorageError
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER

OPERATOR_KIND = "operator"


def operator_account(runtime: Runtime) -> AccountInfo:
    """The local operator account, made (role admin, owner ``local``) if it is missing."""
    found = account_for_owner(runtime, LOCAL_OWNER)
    if found is not None:
        return found
    ensure_owner(runtime, LOCAL_OWNER, "local")
    now = runtime.clock()
    try:
        with runtime.session() as session:
            session.add(
                Account(
                    id="acc_" + secrets.token_hex(12),
                    owner_id=LOCAL_OWNER,
                    role="admin",
                    kind=OPERATOR_KIND,
                    created_at=now,
                    # Not a person: no age to confirm; the column records when it was made.
                    age_confirmed_at=now,
                )
            )
    except DbIntegrityError:  # another process made it at the same moment: use that one
        pass
    made = account_for_owner(runtime, LOCAL_OWNER)
    if made is None:  # pragma: no cover (the insert or the other process's insert stands)
        raise StorageError("the local operator account could not be made")
    return made


__all__ = ["OPERATOR_KIND", "operator_account"]
