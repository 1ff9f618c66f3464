"""Admin: accounts (``/api/v1/admin/users``): list, look at one, disable, role, quota.

For administrators only (``api/admin_access.py``). Lists never carry e-mail addresses:
an account is its id, the day it was made, its role and its state; the address is shown
for one account at a time, and each showing is audit-logged. Every change is written to
the audit log with the acting admin's account id (``privacy/admin_actions.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, model_validator

from reelvault.accounts.accounts import AccountInfo, get_account, list_accounts_page
from reelvault.accounts.quota_overrides import QUOTA_FIELDS, quota_override
from reelvault.api.admin_access import REQUIRE_ADMIN, AdminDep
from reelvault.http.deps import RuntimeDep
from reelvault.http.error_schema import ErrorOut
from reelvault.privacy import admin_actions

router = APIRouter(prefix="/api/v1/admin/users", tags=["admin"], dependencies=[REQUIRE_ADMIN])
# Ids are letters, digits and "_": anything else (a NUL byte, which PostgreSQL refuses
# outright) is a 422 before any query, not a 500 from the database.
ID_PATTERN = r"^[A-Za-z0-9_]+$"
AccountId = Annotated[
    str, Path(max_length=40, pattern=ID_PATTERN, description="The account's id (acc_...).")
]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in (401, 403, *statuses)}


class UserOut(BaseModel):
    id: str
    kind: Literal["person", "operator"] = Field(
        description="`operator`: the local operator account that owns the CLI's keys."
    )
    role: Literal["user", "admin"]
    created_on: date = Field(description="The day (UTC) the account was made; no time.")
    email_verified: bool
    disabled: bool


class UserList(BaseModel):
    object: Literal["list"] = "list"
    data: list[UserOut]
    has_more: bool
    next_cursor: str | None = Field(description="Pass as `after` for the next page.")


class Quota(BaseModel):
    """Per-account limit overrides; null: the plan's value."""

    model_config = ConfigDict(extra="forbid")

    video_seconds_per_month: int | None = Field(
        default=None, ge=0, le=10_000_000, description=QUOTA_FIELDS["video_seconds_per_month"]
    )
    concurrent_jobs: int | None = Field(
        default=None, ge=0, le=10_000_000, description=QUOTA_FIELDS["concurrent_jobs"]
    )
    max_resolution: int | None = Field(
        default=None, ge=0, le=10_000_000, description=QUOTA_FIELDS["max_resolution"]
    )


class UserDetail(UserOut):
    email: str | None = Field(
        description="The sign-in address (none for the operator account). Reading it is "
        "written to the audit log."
    )
    quota: Quota


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "admin"] | None = Field(
        default=None, description="`admin` gives the admin routes (with an admin-scoped key)."
    )
    disabled: bool | None = Field(
        default=None,
        description="`true`: its sessions end, its keys stop working, it cannot sign in.",
    )

    @model_validator(mode="after")
    def _something(self) -> UserChange:
        if self.role is None and self.disabled is None:
            raise ValueError("name what to change: role, disabled or both")
        return self


def _out(account: AccountInfo) -> UserOut:
    return UserOut(
        id=account.id,
        kind="operator" if account.kind == "operator" else "person",
        role="admin" if account.role == "admin" else "user",
        created_on=account.created_at.date(),
        email_verified=account.email_verified,
        disabled=account.disabled,
    )


@router.get("", response_model=UserList, responses=_errors(422))
async def list_users(
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[
        str | None, Query(max_length=40, pattern=ID_PATTERN, description="A `next_cursor`.")
    ] = None,
) -> UserList:
    """Accounts, oldest first, without their addresses."""
    page = await run_in_threadpool(lambda: list_accounts_page(runtime, limit=limit, after=after))
    return UserList(
        data=[_out(account) for account in page.items],
        has_more=page.has_more,
        next_cursor=page.items[-1].id if page.has_more and page.items else None,
    )


def _detail(runtime: RuntimeDep, account_id: str, actor: str) -> UserDetail:
    account = get_account(runtime, account_id)
    email = admin_actions.read_address(runtime, account_id, actor=actor)
    quota = Quota(**quota_override(runtime, account_id))
    return UserDetail(**_out(account).model_dump(), email=email, quota=quota)


@router.get("/{account_id}", response_model=UserDetail, responses=_errors(404))
async def get_user(account_id: AccountId, runtime: RuntimeDep, admin: AdminDep) -> UserDetail:
    """One account, with its address and quota overrides (the reading is audit-logged)."""
    return await run_in_threadpool(_detail, runtime, account_id, admin.actor)


@router.patch("/{account_id}", response_model=UserOut, responses=_errors(404, 409, 422))
async def change_user(
    account_id: AccountId, body: UserChange, runtime: RuntimeDep, admin: AdminDep
) -> UserOut:
    """Disable or enable an account, or set its role; each change is audit-logged.

    409 for your own account (disable or demote) and for the local operator account.
    """

    def change() -> AccountInfo:
        account = get_account(runtime, account_id)
        if body.role is not None:
            account = admin_actions.change_role(runtime, account_id, body.role, actor=admin.actor)
        if body.disabled is not None:
            account = admin_actions.change_disabled(
                runtime, account_id, body.disabled, actor=admin.actor
            )
        return account

    return _out(await run_in_threadpool(change))


@router.put("/{account_id}/quota", response_model=Quota, responses=_errors(404, 422))
async def set_quota(
    account_id: AccountId, body: Quota, runtime: RuntimeDep, admin: AdminDep
) -> Quota:
    """Replace the account's limit overrides (null or absent: the plan's value)."""
    values = body.model_dump()
    quota = await run_in_threadpool(
        lambda: admin_actions.change_quota(runtime, account_id, values, actor=admin.actor)
    )
    return Quota(**quota)


__all__ = ["router"]
