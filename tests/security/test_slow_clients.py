"""Finding 8 (issue 15): a client sending a byte at a time held its connection forever.

Against `reelvault serve` on 127.0.0.1 with short limits: headers get
``header_timeout_seconds``, bodies ``body_timeout_seconds`` plus the time their size
needs at ``body_min_bytes_per_second``, and ``max_connections`` caps what is open.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.security.live import serve

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
MAX_CONNECTIONS = 8
SLACK = 4.0  # scheduling on a busy machine (without the limits, nothing closes at all)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with serve(
        tmp_path_factory.mktemp("slow"),
        header_timeout_seconds=str(HEADER_TIMEOUT),
        body_timeout_seconds=str(BODY_TIMEOUT),
        body_min_bytes_per_second="1000",
        max_connections=str(MAX_CONNECTIONS),
        keep_alive_timeout_seconds="2",
    ) as live:
        yield live


def _trickle(
    port: int, first: bytes, then: bytes, *, every: float, limit: float
) -> tuple[float, bytes]:
    """Send ``first`` at once, then ``then`` a byte every ``every`` seconds.

    Returns (seconds until the server closed the connection, what it answered).
    """
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as connection:
        started = time.monotonic()
        connection.sendall(first)
        index = 0
        while time.monotonic() - started < limit:
            readable, _, _ = select.select([connection], [], [], every)
            if readable:
                try:
                    chunk = connection.recv(65536)
                except ConnectionResetError:
                    # The server closed while our last byte was on its way: its kernel
                    # answers that byte with a reset, which can overtake the answer.
                    return time.monotonic() - started, answer
                if not chunk:
                    return time.monotonic() - started, answer
                answer += chunk
                continue
            if index < len(then):
                try:
                    connection.sendall(then[index : index + 1])
                except OSError:
                    return time.monotonic() - started, answer
                index += 1
    raise AssertionError(f"the connection was still open after {limit}s")


def test_a_client_trickling_its_headers_is_disconnected(server: tuple[str, int]) -> None:
    _base, port = server
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 100
    elapsed, answer = _trickle(port, b"", request, every=1.0, limit=HEADER_TIMEOUT + 10)
    assert elapsed < HEADER_TIMEOUT + SLACK
    assert answer.startswith(b"HTTP/1.1 408")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"


def test_a_client_that_connects_and_says_nothing_is_disconnected(server: tuple[str, int]) -> None:
    _base, port = server
    elapsed, _answer = _trickle(port, b"", b"", every=0.5, limit=HEADER_TIMEOUT + 10)
    assert elapsed < HEADER_TIMEOUT + SLACK


def test_the_next_request_on_a_kept_alive_connection_is_timed_too(
    server: tuple[str, int],
) -> None:
    _base, port = server
    first = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    second = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 100
    elapsed, answer = _trickle(port, first, second, every=1.0, limit=HEADER_TIMEOUT + 10)
    assert answer.startswith(b"HTTP/1.1 200")
    assert b"HTTP/1.1 408" in answer
    assert elapsed < HEADER_TIMEOUT + 1 + SLACK


def test_a_client_trickling_its_body_gets_a_408(server: tuple[str, int]) -> None:
    _base, port = server
    body = json.dumps({"prompt": "a kite", "size": "320x180", "seconds": 1}).encode()
    head = (
        b"POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
    )
    for _ in range(3):  # a reset that overtook the answer (see _trickle): try again
        elapsed, answer = _trickle(port, head, body, every=0.5, limit=BODY_TIMEOUT + 10)
        assert elapsed < BODY_TIMEOUT + SLACK
        if answer:
            break
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 408"), answer
    assert b"connection: close" in rest.lower()
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"


def test_normal_clients_still_work(server: tuple[str, int]) -> None:
    base, _port = server
    with httpx.Client(base_url=base) as client:
        assert client.get("/healthz").status_code == 200
        time.sleep(1.0)  # within the keep-alive time: the same connection serves again
        created = client.post(
            "/api/v1/jobs", json={"prompt": "a kite", "size": "320x180", "seconds": 1}
        )
        assert created.status_code == 201, created.text
    # A body larger than the grace period alone would allow, sent at a normal pace.
    big = {"prompt": "a kite " * 270, "size": "320x180", "seconds": 1}
    assert httpx.post(f"{base}/api/v1/jobs", json=big).status_code == 201


def test_connections_beyond_the_limit_get_503_until_idle_ones_are_cut(
    server: tuple[str, int],
) -> None:
    base, port = server
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(MAX_CONNECTIONS)]
    try:
        assert httpx.get(f"{base}/healthz").status_code == 503
        time.sleep(HEADER_TIMEOUT + SLACK)  # the silent ones are closed by the server
        assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        for connection in idle:
            connection.close()
