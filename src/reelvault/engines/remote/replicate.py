"""Replicate through its predictions API.

Create ``POST /v1/models/{owner}/{name}/predictions`` (official models) or
``POST /v1/predictions`` with a ``version``; poll ``GET /v1/predictions/{id}`` through
``starting`` and ``processing`` to ``succeeded``, ``failed`` or ``canceled``; cancel
with ``POST /v1/predictions/{id}/cancel``. Auth: ``Authorization: Bearer ...``.

Replicate removes an API prediction's inputs, outputs and logs after one hour. Small
input files go inline as ``data:`` URIs; larger ones through the Files API
(``POST /v1/files``), deleted (``DELETE /v1/files/{id}``) as soon as the job ends.
``Cancel-After`` asks Replicate to stop the prediction itself at our deadline, should
this worker die before it can cancel.
"""

from __future__ import annotations

import math
import mimetypes
import re
import time
from pathlib import Path
from typing import Any, ClassVar

from reelvault.engines.remote.config import RemoteConfig
from reelvault.engines.remote.http import Deadline, ProviderHttp, Tick, data_uri
from reelvault.engines.remote.job import RemoteHandle, RemoteJob, Watch
from reelvault.errors import EngineError, ValidationError
from reelvault.types import Task

MODEL = re.compile(r"^([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(?::([0-9a-f]{8,64}))?$")
PERCENT = re.compile(r"(\d{1,3})%")
VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".m4v")


def parse_model(model: str) -> tuple[str, str, str | None]:
    """``owner/name`` or ``owner/name:version`` -> (owner, name, version)."""
    match = MODEL.match(model)
    if match is None:
        raise ValidationError(
            "a Replicate model is replicate:OWNER/NAME or replicate:OWNER/NAME:VERSION",
            param="model",
        )
    return match.group(1), match.group(2), match.group(3)


def find_output_url(output: Any) -> str | None:
    """The video URL in a prediction's output: a URL, a list of URLs or a dict of them."""
    candidates: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            candidates.append(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    collect(output)
    for url in candidates:
        if url.lower().split("?")[0].endswith(VIDEO_EXTENSIONS):
            return url
    return candidates[0] if candidates else None


class ReplicateProvider:
    name: ClassVar[str] = "replicate"
    title: ClassVar[str] = "Replicate"

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config

    def _http(self, deadline: Deadline, tick: Tick) -> ProviderHttp:
        if self.config.replicate_api_token is None:
            raise EngineError(
                "Replicate is not configured on this server (set REELVAULT_REPLICATE_API_TOKEN)"
            )
        token = self.config.replicate_api_token.get_secret_value()
        return ProviderHttp(
            provider=self.title,
            base_url=self.config.replicate_api_url,
            config=self.config,
            deadline=deadline,
            tick=tick,
            auth={"Authorization": f"Bearer {token}"},
        )

    def _file_input(
        self, http: ProviderHttp, path: Path, handle: RemoteHandle, watch: Watch
    ) -> str:
        if path.stat().st_size <= self.config.replicate_max_data_uri_bytes:
            return data_uri(path)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as content:
            response = http.request(
                "POST",
                http.url("files"),
                what="upload an input file",
                files={"content": (f"input{path.suffix}", content, mime)},
                idempotent=False,
            )
        uploaded = http.json(response, "the upload")
        file_id = uploaded.get("id")
        url = (
            (uploaded.get("urls") or {}).get("get")
            if isinstance(uploaded.get("urls"), dict)
            else None
        )
        if not isinstance(file_id, str) or not isinstance(url, str):
            raise EngineError("Replicate accepted an upload but returned no file id or URL")
        handle.uploads.append(file_id)
        watch.note()
        return url

    def _input(self, http: ProviderHttp, job: RemoteJob, watch: Watch) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if job.prompt:
            body["prompt"] = job.prompt
        if job.negative_prompt:
            body["negative_prompt"] = job.negative_prompt
        if job.task in (Task.IMAGE_TO_VIDEO, Task.DANCE) and job.image is not None:
            body[job.image_field or "image"] = self._file_input(
                http, job.image, watch.handle, watch
            )
        if job.task is Task.DANCE and job.reference_video is not None:
            body[job.video_field or "video"] = self._file_input(
                http, job.reference_video, watch.handle, watch
            )
        body.update(job.extra_input)
        return body

    def run(self, job: RemoteJob, watch: Watch) -> Path:
        owner, name, version = parse_model(job.model)
        handle = watch.handle
        with self._http(watch.deadline, watch.tick) as http:
            watch.report(0.0, "sending to Replicate")
            body: dict[str, Any] = {"input": self._input(http, job, watch)}
            if version:
                url = http.url("predictions")
                body["version"] = version
            else:
                url = http.url(f"models/{owner}/{name}/predictions")
            cancel_after = max(60, math.ceil(watch.deadline.remaining()))
            response = http.request(
                "POST",
                url,
                what="create the prediction",
                json=body,
                headers={"Cancel-After": f"{cancel_after}s"},
            )
            prediction = http.json(response, "the new prediction")
            prediction_id = prediction.get("id")
            if not isinstance(prediction_id, str) or not prediction_id:
                raise EngineError("Replicate created a prediction but returned no id")
            base = http.url(f"predictions/{prediction_id}")
            found = prediction.get("urls")
            urls: dict[str, Any] = found if isinstance(found, dict) else {}
            handle.request_id = prediction_id
            handle.urls = {
                "get": http.own(str(urls.get("get", "")), fallback=base),
                "cancel": http.own(str(urls.get("cancel", "")), fallback=f"{base}/cancel"),
            }
            watch.note()
            output = self._wait(http, handle, watch, prediction)
            url_out = find_output_url(output)
            if url_out is None:
                raise EngineError("Replicate's prediction succeeded but returned no output URL")
            watch.report(0.88, "downloading from Replicate")
            path = job.scratch_dir / "remote-output.mp4"
            http.download(url_out, path, own=False)
            watch.report(0.92, "downloaded")
            return path

    def _wait(
        self, http: ProviderHttp, handle: RemoteHandle, watch: Watch, prediction: dict[str, Any]
    ) -> Any:
        started = time.monotonic()
        while True:
            status = prediction.get("status")
            elapsed = time.monotonic() - started
            if status == "succeeded":
                handle.finished = True
                return prediction.get("output")
            if status == "failed":
                handle.finished = True
                raise EngineError(
                    f"Replicate's model could not generate the video ({handle.request_id})"
                )
            if status == "canceled":
                handle.finished = True
                raise EngineError(f"the prediction was canceled at Replicate ({handle.request_id})")
            if status == "starting":
                watch.report(0.02 + 0.06 * (1 - math.exp(-elapsed / 30)), "starting at Replicate")
            elif status == "processing":
                logs = prediction.get("logs")
                percents = PERCENT.findall(logs) if isinstance(logs, str) else []
                if percents and 0 <= int(percents[-1]) <= 100:
                    fraction = 0.1 + 0.75 * int(percents[-1]) / 100
                else:
                    fraction = 0.1 + 0.75 * (1 - math.exp(-elapsed / 60))
                watch.report(fraction, "generating at Replicate")
            else:
                raise EngineError("Replicate reported an unknown prediction status")
            watch.deadline.sleep(self.config.poll_seconds, watch.tick)
            response = http.request("GET", handle.urls["get"], what="check the prediction")
            prediction = http.json(response, "the status check")

    def cancel(self, handle: RemoteHandle) -> None:
        url = handle.urls.get("cancel")
        if not url:
            return
        with self._http(Deadline(self.title, 15.0), lambda: None) as http:
            http.request("POST", url, what="cancel the prediction", ok=(200, 404, 409, 422))

    def cleanup(self, handle: RemoteHandle) -> None:
        if not handle.uploads:
            return
        with self._http(Deadline(self.title, 15.0), lambda: None) as http:
            for file_id in list(handle.uploads):
                http.request(
                    "DELETE", http.url(f"files/{file_id}"), what="delete an upload", ok=(204, 404)
                )
                handle.uploads.remove(file_id)


__all__ = ["ReplicateProvider", "find_output_url", "parse_model"]
