"""A pooled PostgreSQL connection's liveness check, without a round trip when idle.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout: a round trip per
transaction (about 0.9 ms here, and one more wake-up of a server process under load;
issue 17). A server that restarts or ends a session tells the client first: it sends an
error and closes the socket. An idle connection is otherwise silent, so its socket
having something to read is the sign to look closer. Only then is the real ping sent;
a connection that fails it is discarded and the pool hands out (or opens) another, as
``pool_pre_ping`` did.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine, event, exc


def _has_pending_input(dbapi_connection: Any) -> bool:
    """True when the server sent something to this idle connection (or it is closed)."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def check_on_checkout(engine: Engine) -> None:
    """Before a pooled connection is used, discard it if the server has dropped it."""

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if not _has_pending_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure: the pool reconnects instead
            raise exc.DisconnectionError(type(error).__name__) from None


__all__ = ["check_on_checkout"]
