"""A minimal WebSocket client (RFC 6455), enough to follow ComfyUI's progress events.

Only what ComfyUI's ``/ws`` needs: the opening handshake, unmasked server frames (text,
binary, fragmented), ping -> pong, close. Stdlib only, so the remote engine needs no
extra dependency. Reads take a timeout and return None when nothing arrived, so the
caller keeps checking its job for cancellation and its deadline.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import ssl
import struct
from urllib.parse import urlsplit

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 32 * 1024 * 1024
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocketError(Exception):
    """The handshake failed or the connection broke (internal: callers translate it)."""


class WebSocket:
    def __init__(self, sock: socket.socket, buffered: bytes = b"") -> None:
        self.sock = sock
        self._buffer = bytearray(buffered)
        self._partial: bytearray | None = None
        self._partial_op = OP_TEXT
        self.closed = False

    @classmethod
    def connect(cls, url: str, *, timeout: float) -> WebSocket:
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise WebSocketError("not a ws:// or wss:// URL")
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        try:
            sock = socket.create_connection((parts.hostname, port), timeout=timeout)
            if parts.scheme == "wss":
                sock = ssl.create_default_context().wrap_socket(
                    sock, server_hostname=parts.hostname
                )
        except OSError as exc:
            raise WebSocketError(f"cannot connect ({type(exc).__name__})") from None
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        try:
            sock.sendall(request.encode("ascii"))
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = sock.recv(4096)
                if not chunk or len(received) > 65536:
                    raise WebSocketError("the server closed the connection during the handshake")
                received += chunk
        except OSError as exc:
            sock.close()
            raise WebSocketError(f"handshake failed ({type(exc).__name__})") from None
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:])
        }
        expected = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()  # noqa: S324 - RFC 6455 mandates SHA-1
        status = lines[0].split(" ")
        if len(status) < 2 or status[1] != "101" or headers.get("sec-websocket-accept") != expected:
            sock.close()
            raise WebSocketError("the server did not accept the WebSocket upgrade")
        return cls(sock, rest)

    def _read_exact(self, count: int) -> bytes:
        while len(self._buffer) < count:
            chunk = self.sock.recv(max(4096, count - len(self._buffer)))
            if not chunk:
                self.closed = True
                raise WebSocketError("the connection was closed")
            self._buffer += chunk
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def _send(self, opcode: int, payload: bytes = b"") -> None:
        # Client frames are always masked (RFC 6455 section 5.3).
        mask = os.urandom(4)
        header = bytearray([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header.append(0x80 | length)
        elif length < 65536:
            header.append(0x80 | 126)
            header += struct.pack("!H", length)
        else:
            header.append(0x80 | 127)
            header += struct.pack("!Q", length)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.sock.sendall(bytes(header) + mask + masked)

    def receive(self, timeout: float) -> str | bytes | None:
        """The next message, or None if none started within ``timeout`` seconds."""
        while True:
            if self.closed:
                raise WebSocketError("the connection was closed")
            if not self._buffer:
                self.sock.settimeout(timeout)
                try:
                    chunk = self.sock.recv(4096)
                except TimeoutError:
                    return None
                except OSError as exc:
                    self.closed = True
                    raise WebSocketError(f"read failed ({type(exc).__name__})") from None
                if not chunk:
                    self.closed = True
                    raise WebSocketError("the connection was closed")
                self._buffer += chunk
            # A frame has begun: read the rest of it with a generous timeout.
            self.sock.settimeout(max(timeout, 10.0))
            try:
                message = self._frame()
            except OSError as exc:
                self.closed = True
                raise WebSocketError(f"read failed ({type(exc).__name__})") from None
            if message is not None:
                return message

    def _frame(self) -> str | bytes | None:
        first, second = self._read_exact(2)
        final, opcode = bool(first & 0x80), first & 0x0F
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read_exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read_exact(8))
        if length > MAX_MESSAGE:
            raise WebSocketError("message too large")
        mask = self._read_exact(4) if second & 0x80 else None
        payload = self._read_exact(length)
        if mask is not None:
            payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        if opcode == OP_PING:
            self._send(OP_PONG, payload)
            return None
        if opcode == OP_PONG:
            return None
        if opcode == OP_CLOSE:
            self.closed = True
            return None
        if opcode in (OP_TEXT, OP_BINARY):
            self._partial, self._partial_op = bytearray(payload), opcode
        elif opcode == OP_CONTINUATION and self._partial is not None:
            self._partial += payload
            if len(self._partial) > MAX_MESSAGE:
                raise WebSocketError("message too large")
        else:
            raise WebSocketError("unexpected frame")
        if not final:
            return None
        data, self._partial = bytes(self._partial), None
        return data.decode("utf-8", errors="replace") if self._partial_op == OP_TEXT else data

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(OSError):
                self._send(OP_CLOSE, struct.pack("!H", 1000))
        self.closed = True
        self.sock.close()


__all__ = ["WebSocket", "WebSocketError"]
