"""Calls to an OpenID provider are bounded in time however slowly it answers.

A read timeout alone restarts with every byte: a provider (or anything on the path) that
drips one byte a second would hold a sign-in, and a server thread, for as long as it
likes. The whole call has a deadline instead.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from reelvault.accounts.oidc import fetch
from reelvault.accounts.oidc.fetch import ProviderAnswerError, provider_json


@pytest.fixture
def dripping_server() -> Iterator[str]:
    """An HTTP server that sends its JSON body one byte every 0.2 s, forever."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b'Transfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n'
                )
                while not stop.is_set():
                    try:
                        connection.sendall(b"1\r\nx\r\n")
                    except OSError:
                        break
                    time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/.well-known/openid-configuration"
    stop.set()
    thread.join(timeout=5)
    listener.close()


@pytest.mark.timeout(15)  # without the deadline the call never ends: fail, do not hang
def test_a_dripping_answer_is_cut_at_the_deadline(
    dripping_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "DEADLINE_SECONDS", 1.5)
    started = time.monotonic()
    with pytest.raises(ProviderAnswerError):
        provider_json("GET", dripping_server)
    assert time.monotonic() - started < 4
