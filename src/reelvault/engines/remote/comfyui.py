"""A ComfyUI server: an operator's API-format workflow with the job's values filled in.

The workflow file is ComfyUI's "API format" (``{node_id: {"class_type", "inputs"}}``);
``comfyui_mapping`` says which node input takes each value, as ``"NODE_ID.INPUT"``:
``prompt``, ``negative_prompt``, ``image``, ``reference_video``, ``seed``, ``width``,
``height``, ``frames``, ``fps``; optionally ``output`` names the node whose video to
keep. Protocol: inputs ``POST /upload/image``; the workflow ``POST /prompt`` (with a
``client_id``); progress over ``/ws?clientId=`` (``execution_start``, ``progress``
``{value, max}``, ``executing`` with node null = done, ``execution_error``); the
result ``GET /history/{prompt_id}``, the file ``GET /view?filename=&subfolder=&type=``.
Cancelling removes a queued prompt (``POST /queue`` delete) or interrupts it when
running (``POST /interrupt``). When the job ends its history entry (which holds the
prompt) is deleted (``POST /history`` delete). ComfyUI has no API to delete uploaded
inputs or outputs: an operator who is not the server's owner must say so in consent.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from reelvault.engines.remote.config import RemoteConfig
from reelvault.engines.remote.http import Deadline, ProviderHttp, Tick
from reelvault.engines.remote.job import RemoteHandle, RemoteJob, Watch
from reelvault.engines.remote.websocket import WebSocket, WebSocketError
from reelvault.errors import EngineError
from reelvault.types import Task

ROLES = frozenset(
    {
        "prompt",
        "negative_prompt",
        "image",
        "reference_video",
        "seed",
        "width",
        "height",
        "frames",
        "fps",
        "output",
    }
)
VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".m4v", ".gif", ".webp")
HISTORY_POLL_SECONDS = 5.0


def load_workflow(path: Path) -> dict[str, Any]:
    try:
        workflow = json.loads(path.read_text())
    except FileNotFoundError:
        raise EngineError(f"the ComfyUI workflow file {path} does not exist") from None
    except (OSError, ValueError):
        raise EngineError(f"the ComfyUI workflow file {path} is not readable JSON") from None
    if not isinstance(workflow, dict) or not all(
        isinstance(node, dict) and "class_type" in node for node in workflow.values()
    ):
        raise EngineError(
            f"{path} is not an API-format workflow (export it with 'Save (API Format)')"
        )
    return workflow


def apply_mapping(
    workflow: dict[str, Any], mapping: Mapping[str, str], values: Mapping[str, Any]
) -> dict[str, Any]:
    """A copy of ``workflow`` with each mapped input set; unknown roles or nodes raise."""
    filled = copy.deepcopy(workflow)
    for role in mapping:
        if role not in ROLES:
            raise EngineError(
                f"comfyui_mapping has an unknown key {role!r} ({', '.join(sorted(ROLES))})"
            )
    for role, value in values.items():
        target = mapping.get(role)
        if target is None:
            continue
        node_id, _, input_name = target.partition(".")
        node = filled.get(node_id)
        if not input_name or not isinstance(node, dict):
            raise EngineError(f"comfyui_mapping[{role!r}] = {target!r} names no node input")
        node.setdefault("inputs", {})[input_name] = value
    return filled


def find_output_file(outputs: Any, node: str | None) -> dict[str, str] | None:
    """The first video file ({filename, subfolder, type}) among the history's outputs."""
    if not isinstance(outputs, dict):
        return None
    nodes = [outputs.get(node)] if node else list(outputs.values())
    files: list[dict[str, str]] = []
    for entry in nodes:
        if not isinstance(entry, dict):
            continue
        for value in entry.values():  # "images", "gifs", "videos", ... by node type
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and isinstance(item.get("filename"), str):
                        files.append(
                            {
                                key: str(item.get(key, ""))
                                for key in ("filename", "subfolder", "type")
                            }
                        )
    for item in files:
        if item["filename"].lower().endswith(VIDEO_EXTENSIONS):
            return item
    return None


class ComfyUIProvider:
    name: ClassVar[str] = "comfyui"
    title: ClassVar[str] = "ComfyUI"

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config

    def _http(self, deadline: Deadline, tick: Tick) -> ProviderHttp:
        if not self.config.comfyui_url or self.config.comfyui_workflow is None:
            raise EngineError(
                "ComfyUI is not configured on this server (set REELVAULT_COMFYUI_URL and "
                "REELVAULT_COMFYUI_WORKFLOW)"
            )
        return ProviderHttp(
            provider=self.title,
            base_url=self.config.comfyui_url,
            config=self.config,
            deadline=deadline,
            tick=tick,
        )

    def _ws_url(self, client_id: str) -> str:
        parts = urlsplit(self.config.comfyui_url or "")
        scheme = "wss" if parts.scheme == "https" else "ws"
        path = parts.path.rstrip("/") + "/ws"
        return urlunsplit((scheme, parts.netloc, path, f"clientId={client_id}", ""))

    def _upload(self, http: ProviderHttp, path: Path, kind: str) -> str:
        # A random name: nothing about the person or the job reaches the server's disk.
        name = f"reelvault-{uuid.uuid4().hex}{path.suffix}"
        with path.open("rb") as content:
            response = http.request(
                "POST",
                http.url("upload/image"),
                what=f"upload the {kind}",
                files={"image": (name, content, "application/octet-stream")},
                data={"overwrite": "true", "type": "input"},
                idempotent=False,
            )
        uploaded = http.json(response, "the upload")
        stored = uploaded.get("name")
        if not isinstance(stored, str) or not stored:
            raise EngineError("ComfyUI accepted an upload but returned no file name")
        subfolder = uploaded.get("subfolder")
        return f"{subfolder}/{stored}" if isinstance(subfolder, str) and subfolder else stored

    def _values(self, http: ProviderHttp, job: RemoteJob) -> dict[str, Any]:
        mapping = self.config.comfyui_mapping
        needed = ["prompt"] if job.task is Task.TEXT_TO_VIDEO else ["image"]
        if job.task is Task.DANCE:
            needed.append("reference_video")
        missing = [role for role in needed if role not in mapping]
        if missing:
            raise EngineError(f"comfyui_mapping needs {' and '.join(missing)} for {job.task.value}")
        values: dict[str, Any] = {
            "seed": job.seed,
            "width": job.width,
            "height": job.height,
            "frames": max(1, round(job.seconds * job.fps)),
            "fps": job.fps,
        }
        if job.prompt:
            values["prompt"] = job.prompt
        values["negative_prompt"] = job.negative_prompt or ""
        if job.image is not None and "image" in mapping:
            values["image"] = self._upload(http, job.image, "image")
        if job.reference_video is not None and "reference_video" in mapping:
            values["reference_video"] = self._upload(http, job.reference_video, "reference video")
        return values

    def run(self, job: RemoteJob, watch: Watch) -> Path:
        handle = watch.handle
        with self._http(watch.deadline, watch.tick) as http:
            workflow = load_workflow(self.config.comfyui_workflow or Path())
            watch.report(0.0, "sending to ComfyUI")
            filled = apply_mapping(workflow, self.config.comfyui_mapping, self._values(http, job))
            client_id = uuid.uuid4().hex
            socket_: WebSocket | None
            try:
                socket_ = WebSocket.connect(
                    self._ws_url(client_id), timeout=self.config.connect_timeout
                )
            except WebSocketError:
                socket_ = None  # progress falls back to polling the history
            try:
                response = http.request(
                    "POST",
                    http.url("prompt"),
                    what="queue the workflow",
                    json={"prompt": filled, "client_id": client_id},
                    ok=(400,),
                )
                queued = http.json(response, "the queued workflow")
                if response.status_code == 400:
                    raise EngineError(f"ComfyUI refused the workflow{_node_errors(queued)}")
                prompt_id = queued.get("prompt_id")
                if not isinstance(prompt_id, str) or not prompt_id:
                    raise EngineError("ComfyUI queued the workflow but returned no prompt id")
                handle.request_id = prompt_id
                watch.note()
                self._wait(http, socket_, prompt_id, watch)
            finally:
                if socket_ is not None:
                    socket_.close()
            handle.finished = True
            history = self._history(http, prompt_id)
            if history is None:
                raise EngineError("ComfyUI finished but kept no history of the prompt")
            _raise_if_failed(history)
            found = find_output_file(
                history.get("outputs"), self.config.comfyui_mapping.get("output")
            )
            if found is None:
                raise EngineError("the ComfyUI workflow produced no video file")
            watch.report(0.88, "downloading from ComfyUI")
            path = job.scratch_dir / "remote-output.mp4"
            query = "&".join(f"{key}={_quote(value)}" for key, value in found.items())
            http.download(http.url(f"view?{query}"), path, own=True)
            watch.report(0.92, "downloaded")
            return path

    def _history(self, http: ProviderHttp, prompt_id: str) -> dict[str, Any] | None:
        response = http.request("GET", http.url(f"history/{prompt_id}"), what="read the history")
        entry = http.json(response, "the history").get(prompt_id)
        return entry if isinstance(entry, dict) else None

    def _wait(
        self, http: ProviderHttp, socket_: WebSocket | None, prompt_id: str, watch: Watch
    ) -> None:
        watch.report(0.02, "queued at ComfyUI")
        last_history = time.monotonic()
        while True:
            watch.deadline.check()
            message: str | bytes | None = None
            if socket_ is not None:
                try:
                    message = socket_.receive(timeout=min(self.config.poll_seconds, 1.0))
                except WebSocketError:
                    socket_ = None
            else:
                watch.deadline.sleep(self.config.poll_seconds, watch.tick)
            watch.tick()
            if isinstance(message, str) and _event(message, prompt_id, watch):
                return
            if socket_ is None or time.monotonic() - last_history > HISTORY_POLL_SECONDS:
                # A missed "done" event (or no websocket at all): the history tells.
                last_history = time.monotonic()
                entry = self._history(http, prompt_id)
                if entry is not None and _history_done(entry):
                    return

    def cancel(self, handle: RemoteHandle) -> None:
        prompt_id = handle.request_id
        if not prompt_id:
            return
        with self._http(Deadline(self.title, 15.0), lambda: None) as http:
            queue = http.json(
                http.request("GET", http.url("queue"), what="read the queue"), "the queue"
            )

            def holds(key: str) -> bool:
                items = queue.get(key)
                return isinstance(items, list) and any(
                    isinstance(item, list) and len(item) > 1 and item[1] == prompt_id
                    for item in items
                )

            if holds("queue_pending"):
                http.request(
                    "POST",
                    http.url("queue"),
                    what="dequeue the prompt",
                    json={"delete": [prompt_id]},
                )
            if holds("queue_running"):
                # Only ever interrupt our own prompt, never another user's running one.
                http.request(
                    "POST",
                    http.url("interrupt"),
                    what="interrupt the prompt",
                    json={"prompt_id": prompt_id},
                )

    def cleanup(self, handle: RemoteHandle) -> None:
        if not handle.request_id:
            return
        with self._http(Deadline(self.title, 15.0), lambda: None) as http:
            http.request(
                "POST",
                http.url("history"),
                what="delete the history entry",
                json={"delete": [handle.request_id]},
            )


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _event(message: str, prompt_id: str, watch: Watch) -> bool:
    """Handle one websocket event; True when our prompt is done."""
    try:
        event = json.loads(message)
    except ValueError:
        return False
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        return False
    kind, data = event.get("type"), event["data"]
    if data.get("prompt_id") not in (None, prompt_id):
        return False  # another client's prompt on a shared server
    if kind == "execution_start":
        watch.report(0.05, "generating at ComfyUI")
    elif kind == "progress":
        value, maximum = data.get("value"), data.get("max")
        if isinstance(value, int | float) and isinstance(maximum, int | float) and maximum > 0:
            watch.report(0.05 + 0.8 * min(1.0, value / maximum), "generating at ComfyUI")
    elif kind in ("executing", "execution_success") and data.get("prompt_id") == prompt_id:
        # "executing" with node null is ComfyUI's "this prompt is done".
        return kind == "execution_success" or data.get("node") is None
    elif kind == "execution_error" and data.get("prompt_id") == prompt_id:
        node_type = data.get("node_type")
        exception = data.get("exception_type")
        where = (
            f" in node {node_type}" if isinstance(node_type, str) and len(node_type) < 80 else ""
        )
        what = f" ({exception})" if isinstance(exception, str) and len(exception) < 120 else ""
        raise EngineError(f"the ComfyUI workflow failed{where}{what}")
    elif kind == "execution_interrupted" and data.get("prompt_id") == prompt_id:
        raise EngineError("the ComfyUI workflow was interrupted on the server")
    return False


def _history_done(entry: dict[str, Any]) -> bool:
    status = entry.get("status")
    if isinstance(status, dict):
        return bool(status.get("completed")) or status.get("status_str") in ("success", "error")
    return "outputs" in entry


def _raise_if_failed(history: dict[str, Any]) -> None:
    status = history.get("status")
    if isinstance(status, dict) and status.get("status_str") == "error":
        raise EngineError("the ComfyUI workflow failed (see the server's log)")


def _node_errors(body: dict[str, Any]) -> str:
    """Which nodes failed validation and how, without the values that were sent."""
    errors = body.get("node_errors")
    hints: list[str] = []
    if isinstance(errors, dict):
        for node_id, entry in list(errors.items())[:3]:
            kinds = []
            if isinstance(entry, dict):
                for item in entry.get("errors", [])[:2]:
                    if isinstance(item, dict):
                        name = (
                            (item.get("extra_info") or {}).get("input_name")
                            if isinstance(item.get("extra_info"), dict)
                            else None
                        )
                        kinds.append(f"{item.get('type', 'error')}{f' {name}' if name else ''}")
            hints.append(f"node {node_id}: {', '.join(kinds) or 'invalid'}")
    return f": {'; '.join(hints)}" if hints else ""


__all__ = ["ComfyUIProvider", "apply_mapping", "find_output_file", "load_workflow"]
