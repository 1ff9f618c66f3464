"""A pooled connection the server has ended is replaced before use, not handed out.

The pool no longer pings on every checkout (issue 17); the liveness check must still
catch a connection whose server process is gone (a restart, an administrator's
``pg_terminate_backend``), or the next request after a restart fails.
"""

from __future__ import annotations

import time

from sqlalchemy import text

from reelvault.db.session import make_db_engine


def test_a_connection_ended_by_the_server_is_replaced_on_checkout(postgres_url: str) -> None:
    engine = make_db_engine(postgres_url, pool_size=1, max_overflow=0)
    admin = make_db_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as connection:  # the pooled connection is idle now
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        time.sleep(0.2)  # the server's goodbye reaches the client's socket
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()
        admin.dispose()
