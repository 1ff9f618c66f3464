"""fal.ai through its queue API.

Submit ``POST {queue}/{model_id}`` (answer: ``request_id``, ``status_url``,
``response_url``, ``cancel_url``), poll ``GET {status_url}?logs=1`` through ``IN_QUEUE``
and ``IN_PROGRESS`` to ``COMPLETED``, read ``GET {response_url}``, and on cancellation
``PUT {cancel_url}``. Auth: ``Authorization: Key ...``.

Retention is kept to the least fal offers: ``X-Fal-Store-IO: 0`` (fal keeps no copy of
the request and response payloads) and an object-lifecycle preference that expires the
generated files on fal's CDN after an hour (the video is downloaded at once). Input
files are sent inline as ``data:`` URIs, so nothing is put in fal's storage and there is
no upload to delete afterwards.

Polling rather than the streaming status endpoint: each poll is also the moment a
cancelled job is noticed, so cancellation takes at most one poll interval.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, ClassVar

from reelvault.engines.remote.config import RemoteConfig
from reelvault.engines.remote.http import Deadline, ProviderHttp, data_uri
from reelvault.engines.remote.job import RemoteHandle, RemoteJob, Watch
from reelvault.errors import EngineError
from reelvault.types import Task

#: fal's CDN keeps generated files this long; the shortest preference known to be honoured.
OUTPUT_LIFETIME_SECONDS = 3600
RETENTION_HEADERS = {
    "X-Fal-Store-IO": "0",
    "X-Fal-Object-Lifecycle-Preference": json.dumps(
        {"expiration_duration_seconds": OUTPUT_LIFETIME_SECONDS}
    ),
}
VIDEO_EXTENSIONS = (".mp4", ".mov", ".webm", ".mkv", ".m4v")


def app_path(model: str) -> str:
    """``owner/app`` of a model id: status, result and cancel URLs drop the endpoint path."""
    parts = model.strip("/").split("/")
    return "/".join(parts[:2])


def find_video_url(result: Any) -> str | None:
    """The output video's URL in a fal result (``video.url``, ``videos[0].url``...)."""
    if isinstance(result, dict):
        video = result.get("video")
        if isinstance(video, dict) and isinstance(video.get("url"), str):
            return str(video["url"])
        videos = result.get("videos")
        if isinstance(videos, list):
            for item in videos:
                if isinstance(item, dict) and isinstance(item.get("url"), str):
                    return str(item["url"])
        for value in result.values():
            if isinstance(value, dict):
                url = value.get("url")
                kind = str(value.get("content_type", ""))
                if isinstance(url, str) and (
                    kind.startswith("video/")
                    or url.lower().split("?")[0].endswith(VIDEO_EXTENSIONS)
                ):
                    return url
    return None


class FalProvider:
    name: ClassVar[str] = "fal"
    title: ClassVar[str] = "fal.ai"

    def __init__(self, config: RemoteConfig) -> None:
        self.config = config

    def _http(self, deadline: Deadline, tick: Any) -> ProviderHttp:
        if self.config.fal_key is None:
            raise EngineError("fal.ai is not configured on this server (set REELVAULT_FAL_KEY)")
        return ProviderHttp(
            provider=self.title,
            base_url=self.config.fal_queue_url,
            config=self.config,
            deadline=deadline,
            tick=tick,
            auth={"Authorization": f"Key {self.config.fal_key.get_secret_value()}"},
        )

    def arguments(self, job: RemoteJob) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if job.prompt:
            body["prompt"] = job.prompt
        if job.negative_prompt:
            body["negative_prompt"] = job.negative_prompt
        if job.task in (Task.IMAGE_TO_VIDEO, Task.DANCE) and job.image is not None:
            body[job.image_field or "image_url"] = data_uri(job.image)
        if job.task is Task.DANCE and job.reference_video is not None:
            body[job.video_field or "video_url"] = data_uri(job.reference_video)
        body.update(job.extra_input)
        return body

    def run(self, job: RemoteJob, watch: Watch) -> Path:
        handle = watch.handle
        with self._http(watch.deadline, watch.tick) as http:
            watch.report(0.0, "sending to fal.ai")
            response = http.request(
                "POST",
                http.url(job.model),
                what="submit the request",
                json=self.arguments(job),
                headers=RETENTION_HEADERS,
            )
            submitted = http.json(response, "the submission")
            request_id = submitted.get("request_id")
            if not isinstance(request_id, str) or not request_id:
                raise EngineError("fal.ai accepted the request but returned no request id")
            base = http.url(f"{app_path(job.model)}/requests/{request_id}")
            handle.request_id = request_id
            handle.urls = {
                "status": http.own(submitted.get("status_url", ""), fallback=f"{base}/status"),
                "response": http.own(submitted.get("response_url", ""), fallback=base),
                "cancel": http.own(submitted.get("cancel_url", ""), fallback=f"{base}/cancel"),
            }
            watch.note()
            self._wait(http, handle, watch)
            watch.report(0.88, "downloading from fal.ai")
            result = http.request("GET", handle.urls["response"], what="read the result")
            url = find_video_url(http.json(result, "the result"))
            if url is None:
                raise EngineError("fal.ai returned a result without a video")
            path = job.scratch_dir / "remote-output.mp4"
            http.download(url, path, own=False)
            watch.report(0.92, "downloaded")
            return path

    def _wait(self, http: ProviderHttp, handle: RemoteHandle, watch: Watch) -> None:
        started = time.monotonic()
        while True:
            response = http.request(
                "GET", handle.urls["status"], what="check the status", params={"logs": "1"}
            )
            status = http.json(response, "the status check")
            state = status.get("status")
            elapsed = time.monotonic() - started
            if state == "IN_QUEUE":
                position = status.get("queue_position")
                where = f" (position {position})" if isinstance(position, int) else ""
                watch.report(
                    0.02 + 0.06 * (1 - math.exp(-elapsed / 30)), f"queued at fal.ai{where}"
                )
            elif state == "IN_PROGRESS":
                # fal reports no percentage: creep towards 85% on a one-minute time scale.
                watch.report(0.1 + 0.75 * (1 - math.exp(-elapsed / 60)), "generating at fal.ai")
            elif state == "COMPLETED":
                handle.finished = True
                watch.note()
                if status.get("error"):
                    kind = status.get("error_type")
                    hint = f" ({kind})" if isinstance(kind, str) and len(kind) < 64 else ""
                    raise EngineError(f"fal.ai could not generate the video{hint}")
                return
            else:
                raise EngineError("fal.ai reported an unknown request status")
            watch.deadline.sleep(self.config.poll_seconds, watch.tick)

    def cancel(self, handle: RemoteHandle) -> None:
        url = handle.urls.get("cancel")
        if not url:
            return
        with self._http(Deadline(self.title, 15.0), lambda: None) as http:
            # 202 CANCELLATION_REQUESTED; 400 ALREADY_COMPLETED; 404 NOT_FOUND: all fine.
            http.request("PUT", url, what="cancel the request", ok=(200, 202, 400, 404))

    def cleanup(self, handle: RemoteHandle) -> None:
        """Nothing to delete: inputs went inline (data URIs) and X-Fal-Store-IO was 0."""


__all__ = ["RETENTION_HEADERS", "FalProvider", "app_path", "find_video_url"]
