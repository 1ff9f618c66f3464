"""Local stand-ins for fal.ai's queue API, Replicate's predictions API and ComfyUI.

Each is a threaded ``http.server`` on a free loopback port implementing the documented
status sequences, errors (4xx/5xx, 429 with Retry-After), cancellation and slow
answers. ComfyUI's ``/ws`` is a real RFC 6455 server side (handshake + frames).
"""

from __future__ import annotations

import base64
import hashlib
import json
import queue
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

VIDEO = Path(__file__).resolve().parents[3] / "data" / "SYNTHETIC_dance_moves_576.mp4"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Reply = tuple[int, dict[str, str], bytes]


def reply_json(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


class FakeServer:
    """Base: records every request and dispatches to ``handle``."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {key.lower(): value for key, value in self.headers.items()}
                with owner.lock:
                    owner.seen.append(Seen(self.command, self.path, headers, body))
                if owner.upgrade(self, headers):
                    return
                status, reply_headers, payload = owner.handle(
                    self.command, self.path, headers, body
                )
                self.send_response(status)
                for key, value in reply_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _any  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            daemon=True,
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def upgrade(self, handler: BaseHTTPRequestHandler, headers: dict[str, str]) -> bool:
        return False

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError

    def requests_to(self, fragment: str, method: str | None = None) -> list[Seen]:
        with self.lock:
            return [
                seen
                for seen in self.seen
                if fragment in seen.path and (method is None or seen.method == method)
            ]

    def video(self) -> Reply:
        return 200, {"Content-Type": "video/mp4"}, VIDEO.read_bytes()


# -- fal.ai ------------------------------------------------------------------------------


@dataclass
class FalBehaviour:
    statuses: list[str] = field(default_factory=lambda: ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"])
    submit_errors: list[Reply] = field(default_factory=list)
    status_delay: float = 0.0
    completed_error: str | None = None
    result: Any = None  # None: a proper {"video": {"url": ...}}
    output: bytes | None = None  # None: the real MP4


class FakeFal(FakeServer):
    def __init__(self) -> None:
        self.behaviour = FalBehaviour()
        self.polls: dict[str, int] = {}
        self.cancelled: list[str] = []
        super().__init__()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        segments = parts.path.strip("/").split("/")
        if parts.path == "/cdn/out.mp4":
            if self.behaviour.output is not None:
                return 200, {"Content-Type": "video/mp4"}, self.behaviour.output
            return self.video()
        if headers.get("authorization") != "Key test-key":
            return reply_json(401, {"detail": "Invalid key"})
        if method == "POST" and "requests" not in segments:
            if self.behaviour.submit_errors:
                return self.behaviour.submit_errors.pop(0)
            request_id = uuid.uuid4().hex
            base = f"{self.url}/{'/'.join(segments[:2])}/requests/{request_id}"
            self.polls[request_id] = 0
            return reply_json(
                200,
                {
                    "request_id": request_id,
                    "status_url": f"{base}/status",
                    "response_url": base,
                    "cancel_url": f"{base}/cancel",
                },
            )
        request_id = segments[3] if len(segments) > 3 else ""
        if method == "GET" and segments[-1] == "status":
            time.sleep(self.behaviour.status_delay)
            count = self.polls.get(request_id, 0)
            self.polls[request_id] = count + 1
            statuses = self.behaviour.statuses
            state = statuses[min(count, len(statuses) - 1)]
            if request_id in self.cancelled:
                state = "COMPLETED"
            answer: dict[str, Any] = {"status": state, "request_id": request_id}
            if state == "IN_QUEUE":
                answer["queue_position"] = 0
            else:
                answer["logs"] = [{"message": f"step {count}", "level": "INFO"}]
            if state == "COMPLETED" and self.behaviour.completed_error:
                answer["error"] = self.behaviour.completed_error
                answer["error_type"] = "runner_disconnected"
            return reply_json(202 if state != "COMPLETED" else 200, answer)
        if method == "GET" and len(segments) == 4:
            if self.behaviour.result is not None:
                return reply_json(200, self.behaviour.result)
            return reply_json(
                200, {"video": {"url": f"{self.url}/cdn/out.mp4", "content_type": "video/mp4"}}
            )
        if method == "PUT" and segments[-1] == "cancel":
            self.cancelled.append(request_id)
            return reply_json(202, {"status": "CANCELLATION_REQUESTED"})
        return reply_json(404, {"detail": "Not found"})


# -- Replicate ---------------------------------------------------------------------------


@dataclass
class ReplicateBehaviour:
    statuses: list[str] = field(
        default_factory=lambda: ["starting", "processing", "processing", "succeeded"]
    )
    create_errors: list[Reply] = field(default_factory=list)
    output: Any = None  # None: the CDN URL of the real MP4


class FakeReplicate(FakeServer):
    def __init__(self) -> None:
        self.behaviour = ReplicateBehaviour()
        self.polls: dict[str, int] = {}
        self.cancelled: list[str] = []
        self.files: dict[str, bytes] = {}
        self.deleted: list[str] = []
        self.created: list[dict[str, Any]] = []
        super().__init__()

    def _prediction(self, prediction_id: str) -> dict[str, Any]:
        count = self.polls.get(prediction_id, 0)
        statuses = self.behaviour.statuses
        status = statuses[min(count, len(statuses) - 1)]
        if prediction_id in self.cancelled:
            status = "canceled"
        base = f"{self.url}/v1/predictions/{prediction_id}"
        answer: dict[str, Any] = {
            "id": prediction_id,
            "status": status,
            "urls": {"get": base, "cancel": f"{base}/cancel"},
            "logs": f"{min(100, count * 30)}%|###",
            "output": None,
            "error": None,
        }
        if status == "succeeded":
            answer["output"] = (
                self.behaviour.output
                if self.behaviour.output is not None
                else [f"{self.url}/cdn/out.mp4"]
            )
        if status == "failed":
            answer["error"] = "CUDA out of memory"
        return answer

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        segments = parts.path.strip("/").split("/")
        if parts.path == "/cdn/out.mp4":
            return self.video()
        if headers.get("authorization") != "Bearer test-token":
            return reply_json(401, {"detail": "Unauthenticated"})
        if method == "POST" and segments[-1] == "predictions":
            if self.behaviour.create_errors:
                return self.behaviour.create_errors.pop(0)
            self.created.append(json.loads(body))
            prediction_id = uuid.uuid4().hex[:20]
            self.polls[prediction_id] = 0
            return reply_json(201, self._prediction(prediction_id))
        if method == "GET" and segments[:2] == ["v1", "predictions"] and len(segments) == 3:
            self.polls[segments[2]] = self.polls.get(segments[2], 0) + 1
            return reply_json(200, self._prediction(segments[2]))
        if method == "POST" and segments[-1] == "cancel":
            self.cancelled.append(segments[2])
            return reply_json(200, self._prediction(segments[2]))
        if method == "POST" and segments == ["v1", "files"]:
            file_id = uuid.uuid4().hex[:12]
            self.files[file_id] = body
            return reply_json(
                201, {"id": file_id, "urls": {"get": f"{self.url}/v1/files/{file_id}"}}
            )
        if method == "DELETE" and segments[:2] == ["v1", "files"]:
            self.deleted.append(segments[2])
            self.files.pop(segments[2], None)
            return 204, {}, b""
        return reply_json(404, {"detail": "Not found"})


# -- ComfyUI -----------------------------------------------------------------------------

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    header = bytearray([0x80 | opcode])
    if len(payload) < 126:
        header.append(len(payload))
    elif len(payload) < 65536:
        header.append(126)
        header += struct.pack("!H", len(payload))
    else:
        header.append(127)
        header += struct.pack("!Q", len(payload))
    return bytes(header) + payload


@dataclass
class ComfyBehaviour:
    steps: int = 4
    step_seconds: float = 0.02
    fail: bool = False
    refuse: bool = False
    send_binary_previews: bool = True
    output_name: str = "reelvault_00001.mp4"


class FakeComfy(FakeServer):
    def __init__(self) -> None:
        self.behaviour = ComfyBehaviour()
        self.sockets: dict[str, queue.Queue[bytes | None]] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self.prompts: list[dict[str, Any]] = []
        self.running: list[str] = []
        self.interrupted: list[str] = []
        self.history_deleted: list[str] = []
        self.uploads: list[str] = []
        super().__init__()

    def upgrade(self, handler: BaseHTTPRequestHandler, headers: dict[str, str]) -> bool:
        parts = urlsplit(handler.path)
        if parts.path != "/ws" or headers.get("upgrade", "").lower() != "websocket":
            return False
        client_id = parse_qs(parts.query).get("clientId", [""])[0]
        accept = base64.b64encode(
            hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest()
        ).decode()
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        handler.end_headers()
        handler.wfile.flush()
        outbox: queue.Queue[bytes | None] = queue.Queue()
        self.sockets[client_id] = outbox
        status = {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}}}
        handler.wfile.write(ws_frame(json.dumps({**status, "sid": client_id}).encode()))
        handler.wfile.write(ws_frame(b"", opcode=0x9))  # a ping: the client must pong
        handler.wfile.flush()
        while True:
            item = outbox.get()
            if item is None:
                break
            try:
                handler.wfile.write(item)
                handler.wfile.flush()
            except OSError:
                break
        handler.close_connection = True
        return True

    def _send(self, client_id: str, event: dict[str, Any]) -> None:
        box = self.sockets.get(client_id)
        if box is not None:
            box.put(ws_frame(json.dumps(event).encode()))

    def _execute(self, prompt_id: str, client_id: str) -> None:
        behaviour = self.behaviour
        self.running.append(prompt_id)
        self._send(client_id, {"type": "execution_start", "data": {"prompt_id": prompt_id}})
        for step in range(1, behaviour.steps + 1):
            if prompt_id in self.interrupted:
                self._send(
                    client_id, {"type": "execution_interrupted", "data": {"prompt_id": prompt_id}}
                )
                self.running.remove(prompt_id)
                self.history[prompt_id] = {"status": {"status_str": "error", "completed": False}}
                return
            time.sleep(behaviour.step_seconds)
            self._send(
                client_id,
                {
                    "type": "progress",
                    "data": {
                        "value": step,
                        "max": behaviour.steps,
                        "prompt_id": prompt_id,
                        "node": "3",
                    },
                },
            )
            if behaviour.send_binary_previews:
                box = self.sockets.get(client_id)
                if box is not None:
                    box.put(ws_frame(b"\x00\x00\x00\x01jpegbytes", opcode=0x2))
        self.running.remove(prompt_id)
        if behaviour.fail:
            self._send(
                client_id,
                {
                    "type": "execution_error",
                    "data": {
                        "prompt_id": prompt_id,
                        "node_id": "3",
                        "node_type": "KSampler",
                        "exception_type": "torch.OutOfMemoryError",
                        "exception_message": "the prompt text would be here",
                    },
                },
            )
            self.history[prompt_id] = {"status": {"status_str": "error", "completed": False}}
            return
        self.history[prompt_id] = {
            "prompt": [0, prompt_id, {}, {}, []],
            "outputs": {
                "9": {
                    "gifs": [
                        {
                            "filename": behaviour.output_name,
                            "subfolder": "",
                            "type": "output",
                            "format": "video/h264-mp4",
                        }
                    ]
                }
            },
            "status": {"status_str": "success", "completed": True, "messages": []},
        }
        self._send(client_id, {"type": "executing", "data": {"node": None, "prompt_id": prompt_id}})

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        route = parts.path
        if method == "POST" and route == "/upload/image":
            name = f"upload-{len(self.uploads)}"
            marker = b'filename="'
            if marker in body:
                start = body.index(marker) + len(marker)
                name = body[start : body.index(b'"', start)].decode()
            self.uploads.append(name)
            return reply_json(200, {"name": name, "subfolder": "", "type": "input"})
        if method == "POST" and route == "/prompt":
            data = json.loads(body)
            if self.behaviour.refuse:
                return reply_json(
                    400,
                    {
                        "error": {"type": "prompt_outputs_failed_validation", "message": "x"},
                        "node_errors": {
                            "6": {
                                "errors": [
                                    {
                                        "type": "value_not_valid",
                                        "message": "bad",
                                        "extra_info": {
                                            "input_name": "text",
                                            "received_value": "secret",
                                        },
                                    }
                                ],
                                "class_type": "CLIPTextEncode",
                            }
                        },
                    },
                )
            self.prompts.append(data)
            prompt_id = str(uuid.uuid4())
            threading.Thread(
                target=self._execute, args=(prompt_id, data.get("client_id", "")), daemon=True
            ).start()
            return reply_json(
                200, {"prompt_id": prompt_id, "number": len(self.prompts), "node_errors": {}}
            )
        if method == "GET" and route.startswith("/history/"):
            prompt_id = route.removeprefix("/history/")
            entry = self.history.get(prompt_id)
            return reply_json(200, {prompt_id: entry} if entry else {})
        if method == "POST" and route == "/history":
            self.history_deleted.extend(json.loads(body).get("delete", []))
            return 200, {}, b""
        if method == "GET" and route == "/queue":
            running = [[0, prompt_id, {}, {}, []] for prompt_id in self.running]
            return reply_json(200, {"queue_running": running, "queue_pending": []})
        if method == "POST" and route == "/queue":
            return 200, {}, b""
        if method == "POST" and route == "/interrupt":
            prompt_id = json.loads(body or b"{}").get("prompt_id")
            if prompt_id:
                self.interrupted.append(prompt_id)
            return 200, {}, b""
        if method == "GET" and route == "/view":
            query = parse_qs(parts.query)
            if query.get("filename") == [self.behaviour.output_name] and query.get("type") == [
                "output"
            ]:
                return self.video()
            return 404, {}, b""
        return reply_json(404, {"error": "not found"})

    def close(self) -> None:
        for box in self.sockets.values():
            box.put(None)
        super().close()


WORKFLOW = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 0, "steps": 20}},
    "5": {
        "class_type": "EmptyHunyuanLatentVideo",
        "inputs": {"width": 848, "height": 480, "length": 25},
    },
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}},
    "9": {"class_type": "VHS_VideoCombine", "inputs": {"frame_rate": 24}},
    "10": {"class_type": "LoadImage", "inputs": {"image": ""}},
}
MAPPING = {
    "prompt": "6.text",
    "negative_prompt": "7.text",
    "seed": "3.seed",
    "width": "5.width",
    "height": "5.height",
    "frames": "5.length",
    "fps": "9.frame_rate",
    "image": "10.image",
}
