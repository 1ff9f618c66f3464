"""The operator's switch for sign-in accounts (``accounts_enabled``).

Off, the routes that make or open an account (sign-up, sign-in, password reset) answer
404 as if they did not exist, so the studio's "accounts are off" is what the API does.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from reelvault.errors import NotFoundError
from reelvault.http.deps import RuntimeDep

ACCOUNTS_OFF = "sign-in accounts are off on this server"


async def _accounts_on(runtime: RuntimeDep) -> None:
    if not runtime.settings.accounts_enabled:
        raise NotFoundError(ACCOUNTS_OFF)


ACCOUNTS_ON: Any = Depends(_accounts_on)

__all__ = ["ACCOUNTS_OFF", "ACCOUNTS_ON"]
