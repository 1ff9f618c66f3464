"""An HTTP proxy in front of the test S3 server that fails or delays requests on demand.

``FaultProxy.fail(status, times=N, when=...)`` answers the next N matching requests with
``status`` instead of forwarding them (``times=None``: every one, until :meth:`clear`);
``delay(seconds, times=N)`` holds them before forwarding; ``truncate(times=N)`` forwards
them but breaks the connection halfway through the answer's body. Everything else is
passed through unchanged, so the store under test talks to a real S3 implementation.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Match = Callable[[str, str], bool]  # (method, path with query) -> whether the fault applies


def every(_method: str, _path: str) -> bool:
    return True


def uploading_parts(method: str, path: str) -> bool:
    """UploadPart and CompleteMultipartUpload (not the abort, a DELETE)."""
    return method in ("PUT", "POST") and "uploadId=" in path


def reading(method: str, _path: str) -> bool:
    return method == "GET"


@dataclass
class _Fault:
    status: int | None
    delay: float
    remaining: int | None
    when: Match
    truncate: bool = False


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status answered)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._take(self.command, self.path)
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)
                if fault is not None and fault.status is not None:
                    payload = b"<Error><Code>InternalError</Code><Message>x</Message></Error>"
                    # Recorded before answering: the client may look as soon as it has read.
                    proxy.requests.append((self.command, self.path, fault.status))
                    self.send_response(fault.status)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":  # a HEAD answer has no body
                        self.wfile.write(payload)
                    return
                connection = http.client.HTTPConnection(*proxy._upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    connection.request(self.command, self.path, body=body, headers=headers)
                    answer = connection.getresponse()
                    data = answer.read()
                    broken = fault is not None and fault.truncate and len(data) > 1
                    proxy.requests.append(
                        (self.command, self.path, -1 if broken else answer.status)
                    )
                    self.send_response(answer.status)
                    dropped = {"transfer-encoding", "connection"}
                    if self.command != "HEAD":  # a HEAD answer keeps the object's length
                        dropped.add("content-length")
                        self.send_header("Content-Length", str(len(data)))
                    for key, value in answer.getheaders():
                        if key.lower() not in dropped:
                            self.send_header(key, value)
                    self.end_headers()
                    if broken:
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self.close_connection = True  # the rest never comes
                        return
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    connection.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            daemon=True,
        )
        self._thread.start()
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _take(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.when(method, path) and (fault.remaining is None or fault.remaining > 0):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def fail(self, status: int, *, times: int | None = 1, when: Match = every) -> None:
        with self._lock:
            self._faults.append(_Fault(status, 0.0, times, when))

    def delay(self, seconds: float, *, times: int | None = 1, when: Match = every) -> None:
        with self._lock:
            self._faults.append(_Fault(None, seconds, times, when))

    def truncate(self, *, times: int | None = 1, when: Match = reading) -> None:
        with self._lock:
            self._faults.append(_Fault(None, 0.0, times, when, truncate=True))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def statuses(self) -> Iterator[int]:
        return (status for _method, _path, status in self.requests)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


__all__ = ["FaultProxy", "every", "reading", "uploading_parts"]
