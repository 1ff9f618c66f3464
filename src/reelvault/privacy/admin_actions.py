"""What an administrator changes, each change written to the audit log.

The admin API and the CLI both call these, so every admin action leaves one entry:
``admin.<what>`` with the actor (an account id, or ``operator`` for the person at this
machine's shell or the keyless local server) and the target's id, never personal data
(the audit log refuses anything that is not an id, a flag or a count).

Two changes are refused because they would lock the operator out: an admin taking the
admin role from, or disabling, their own account; and anyone demoting or disabling the
local operator account (its keys are how the CLI's keys act; revoke them instead).
"""

from __future__ import annotations

from collections.abc import Mapping

from reelvault.accounts.accounts import (
    AccountInfo,
    account_email,
    get_account,
    set_disabled,
    set_role,
)
from reelvault.accounts.operator import OPERATOR_KIND
from reelvault.accounts.quota_overrides import set_quota_override
from reelvault.errors import ConflictError
from reelvault.privacy import audit_log, dsr
from reelvault.runtime import Runtime

OPERATOR_ACTOR = "operator"
"""The actor of the CLI and of the keyless local server: the person at this machine."""


def _guard(target: AccountInfo, actor: str, what: str) -> None:
    if target.kind == OPERATOR_KIND:
        raise ConflictError(
            f"the local operator account cannot be {what}: revoke its keys instead "
            "(reelvault keys revoke)"
        )
    if target.id == actor:
        raise ConflictError(
            f"your own account cannot be {what} by you: ask another admin (or use "
            "reelvault accounts on the server)"
        )


def change_disabled(
    runtime: Runtime, account_id: str, disabled: bool, *, actor: str
) -> AccountInfo:
    """Disable (sessions end, keys stop working, sign-in refused) or enable an account."""
    target = get_account(runtime, account_id)
    if disabled:
        _guard(target, actor, "disabled")
    if target.disabled == disabled:
        return target  # nothing changes, nothing to log
    changed = set_disabled(runtime, account_id, disabled)
    action = "admin.account_disabled" if disabled else "admin.account_enabled"
    audit_log.record(runtime, action, actor=actor, account=account_id)
    return changed


def change_role(runtime: Runtime, account_id: str, role: str, *, actor: str) -> AccountInfo:
    """Give an account a role; taking ``admin`` away also takes it from the account's keys."""
    target = get_account(runtime, account_id)
    if role != "admin":
        _guard(target, actor, "demoted")
    if target.role == role:
        return target
    changed = set_role(runtime, account_id, role)
    audit_log.record(runtime, "admin.role_set", actor=actor, account=account_id, role=role)
    return changed


def change_quota(
    runtime: Runtime, account_id: str, values: Mapping[str, object], *, actor: str
) -> dict[str, int]:
    """Replace the account's limit overrides (the entry holds the new numbers)."""
    quota = set_quota_override(runtime, account_id, values)
    audit_log.record(runtime, "admin.quota_set", actor=actor, account=account_id, **quota)
    return quota


def read_address(runtime: Runtime, account_id: str, *, actor: str) -> str | None:
    """The account's e-mail address, for one admin looking at one account; the reading
    is logged (who read whose address), since it is personal data shown to someone else."""
    address = account_email(runtime, account_id)
    if address is not None:
        audit_log.record(runtime, "admin.address_read", actor=actor, account=account_id)
    return address


def close_request(runtime: Runtime, request_id: str, *, actor: str) -> dsr.RequestInfo:
    """Mark a data-subject request answered, e.g. one handled by letter or refused as
    unfounded. Acting on a verified request is ``reelvault privacy requests verify``."""
    if dsr.get_request(runtime, request_id).status == dsr.RequestStatus.RESOLVED:
        raise ConflictError(f"request {request_id} is resolved already")
    dsr.resolve(runtime, request_id, {"closed_by_admin": 1})
    audit_log.record(runtime, "admin.request_resolved", actor=actor, request=request_id)
    return dsr.get_request(runtime, request_id)


__all__ = [
    "OPERATOR_ACTOR",
    "change_disabled",
    "change_quota",
    "change_role",
    "close_request",
    "read_address",
]
