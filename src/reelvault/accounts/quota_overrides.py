"""Per-account limit overrides, set by an admin: a hook for the quotas and plans.

An override replaces the plan's value for one account; a missing key (or None) means
"the plan's". Only counts are stored (no personal data). Enforcement belongs to the
quota checks at submit; this module only keeps the numbers and reads them back, so
that both the admin API and the CLI write them the same checked way.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from reelvault.db.models import Account
from reelvault.errors import NotFoundError, ValidationError
from reelvault.runtime import Runtime

QUOTA_FIELDS: dict[str, str] = {
    "video_seconds_per_month": "seconds of video the account may generate per calendar month",
    "concurrent_jobs": "jobs the account may have queued or running at once",
    "max_resolution": "the largest side of a video, in pixels",
}
MAX_QUOTA_VALUE = 10_000_000


def checked_quota(values: Mapping[str, object]) -> dict[str, int]:
    """The overrides that are set, checked: known names, whole numbers 0..10,000,000."""
    checked: dict[str, int] = {}
    for name, value in values.items():
        if name not in QUOTA_FIELDS:
            raise ValidationError(
                f"unknown quota {name!r}: the quotas are {', '.join(QUOTA_FIELDS)}", param=name
            )
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{name} must be a whole number or null", param=name)
        if not 0 <= value <= MAX_QUOTA_VALUE:
            raise ValidationError(f"{name} must be 0..{MAX_QUOTA_VALUE}", param=name)
        checked[name] = value
    return checked


def _row(session: Session, account_id: str) -> Account:
    row = session.get(Account, account_id)
    if row is None:
        raise NotFoundError(f"no account {account_id}", param="account")
    return row


def quota_override(runtime: Runtime, account_id: str) -> dict[str, int]:
    """The account's overrides (empty: the plan's limits throughout)."""
    with runtime.session() as session:
        return dict(_row(session, account_id).quota or {})


def set_quota_override(
    runtime: Runtime, account_id: str, values: Mapping[str, object]
) -> dict[str, int]:
    """Replace the account's overrides with ``values`` (None values: back to the plan's)."""
    checked = checked_quota(values)
    with runtime.session() as session:
        _row(session, account_id).quota = checked or None
    return checked


__all__ = [
    "MAX_QUOTA_VALUE",
    "QUOTA_FIELDS",
    "checked_quota",
    "quota_override",
    "set_quota_override",
]
