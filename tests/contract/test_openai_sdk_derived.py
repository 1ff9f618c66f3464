"""Remix, extend and edit through the official openai SDK, against a live server.

Every response is validated with the SDK's own model (``openai.types.Video``) in strict
mode. The server keeps prompts and uploads (the ``standard`` policy) so that a remix can
start from its source's composition and photo.
"""

from __future__ import annotations

import io
import itertools
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import openai
import pytest
import uvicorn
from openai.types import Video as SdkVideo

from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.app.server import server_config
from reelvault.media.encode import encode_h264
from reelvault.runtime import Runtime
from reelvault.testing import settings_for

PHOTO = Path(__file__).parents[1] / "data" / "fullbody_yoga_beach.jpg"
Live = tuple[str, str, Runtime]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = settings_for(tmp_path_factory.mktemp("derived"), policy="standard")
    runtime = open_runtime(settings)
    key = create_api_key(runtime, name="sdk").secret
    app = create_app(settings, runtime=runtime, worker_mode="thread")
    port = free_port()
    config = server_config(app, settings, host="127.0.0.1", port=port, log_level="warning")
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not live.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live.started
    yield f"http://127.0.0.1:{port}/v1", key, runtime
    live.should_exit = True
    thread.join(timeout=30)
    runtime.close()


@pytest.fixture
def client(server: Live) -> openai.OpenAI:
    base_url, key, _ = server
    warnings.simplefilter("ignore", DeprecationWarning)  # the SDK marks the Videos API deprecated
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)


def strict(video: Any) -> SdkVideo:
    """The response as the SDK's own model, validated strictly."""
    return SdkVideo.model_validate(video.model_dump(mode="json"), strict=True)


def finished(client: openai.OpenAI, video_id: str) -> SdkVideo:
    video = client.videos.poll(video_id, poll_interval_ms=100)
    assert video.status == "completed", video.error
    return strict(video)


def frames_of(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def encoded_again(frames: list[np.ndarray]) -> bytes:
    """``frames`` through the server's own encoder once more (its settings, its error)."""
    height, width = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "again.mp4"
        encode_h264(iter(frames), path, fps=24, width=width, height=height)
        return path.read_bytes()


def frame_steps(frames: list[np.ndarray]) -> list[float]:
    """Mean absolute difference between each frame and the next."""
    return [
        float(np.mean(np.abs(b.astype(np.int16) - a.astype(np.int16))))
        for a, b in itertools.pairwise(frames)
    ]


def procedural(client: openai.OpenAI, prompt: str, seconds: str = "2") -> SdkVideo:
    made = client.videos.create(
        model="reelvault-procedural", prompt=prompt, seconds=seconds, size="1280x720"
    )
    return finished(client, made.id)


def test_remix_keeps_the_seed_and_composition_and_names_its_source(
    client: openai.OpenAI, server: Live
) -> None:
    source = procedural(client, "a red balloon over a calm sea at sunset")
    remix = strict(client.videos.remix(source.id, prompt="the same scene at night"))
    assert remix.remixed_from_video_id == source.id
    assert remix.id != source.id and remix.status in ("queued", "in_progress", "completed")
    assert remix.prompt is None  # never echoed
    assert (remix.seconds, remix.size) == (source.seconds, source.size)
    done = finished(client, remix.id)
    assert done.remixed_from_video_id == source.id
    night = frames_of(client.videos.download_content(remix.id).read())
    day = frames_of(client.videos.download_content(source.id).read())
    assert len(night) == len(day)
    # the night version is darker, with the same layout (same seed: the horizon and the
    # balloon's path are where they were)
    assert night[0].mean() < day[0].mean() - 15
    again = finished(client, client.videos.remix(source.id, prompt="at night").id)
    assert psnr(frames_of(client.videos.download_content(again.id).read())[0], night[0]) > 30


def test_remix_of_a_photo_reuses_the_stored_photo(client: openai.OpenAI) -> None:
    made = client.videos.create(
        model="reelvault-livephoto",
        prompt="bring it to life",
        input_reference=("me.jpg", PHOTO.read_bytes(), "image/jpeg"),
        seconds="2",
        size="1280x720",
    )
    source = finished(client, made.id)
    remix = finished(client, client.videos.remix(source.id, prompt="keep the camera still").id)
    assert remix.remixed_from_video_id == source.id
    still = frames_of(client.videos.download_content(remix.id).read())
    moving = frames_of(client.videos.download_content(source.id).read())
    assert len(still) == len(moving)
    # the same photo (its colours: the source's move may start zoomed in) at rest now
    assert abs(float(still[0].mean()) - float(moving[0].mean())) < 10
    assert sum(frame_steps(still)) < sum(frame_steps(moving)) / 2


def test_remix_of_another_owners_video_is_404(client: openai.OpenAI, server: Live) -> None:
    base_url, _, runtime = server
    source = procedural(client, "boats on a lake")
    other = create_api_key(runtime, name="other").secret
    stranger = openai.OpenAI(base_url=base_url, api_key=other, max_retries=0)
    with pytest.raises(openai.NotFoundError):
        stranger.videos.remix(source.id, prompt="at night")
    with pytest.raises(openai.NotFoundError):
        client.videos.remix("video_nope", prompt="at night")


def test_extend_an_uploaded_video_continues_it_seamlessly(client: openai.OpenAI) -> None:
    source = procedural(client, "a red balloon over a calm sea at sunset")
    original = client.videos.download_content(source.id).read()
    # The SDK sends the video itself, as a file (multipart); `seconds` is the new part.
    extended = strict(
        client.videos.extend(
            video=("balloon.mp4", original, "video/mp4"),
            prompt="the balloon drifts on",
            seconds="2",
        )
    )
    assert extended.seconds == "4"  # the stitched total
    assert extended.remixed_from_video_id is None
    done = finished(client, extended.id)
    assert done.seconds == "4"
    before = frames_of(original)
    after = frames_of(client.videos.download_content(extended.id).read())
    assert len(before) == 48 and len(after) == 96
    # the first two seconds are the original's frames, copied without re-encoding
    assert all(np.array_equal(a, b) for a, b in zip(before, after[:48], strict=True))
    # and the seam is no bigger a step than the engine makes from frame to frame anyway,
    # give or take what one encoding changes in a frame (the new part is encoded afresh,
    # starting with a key frame)
    steps = frame_steps(after)
    seam = steps[47]
    normal = max(steps[:47] + steps[48:])
    codec_error = max(
        float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))
        for a, b in zip(before, frames_of(encoded_again(before)), strict=True)
    )
    assert seam <= normal + codec_error, (seam, normal, codec_error)
    assert seam < 2 * normal


def test_extend_by_id_as_json(client: openai.OpenAI, server: Live) -> None:
    base_url, key, _ = server
    source = procedural(client, "two boats on a lake in the morning")
    response = httpx.post(
        f"{base_url}/videos/extensions",
        headers={"Authorization": f"Bearer {key}"},
        json={"video": {"id": source.id}, "prompt": "they sail on", "seconds": "2"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    video = SdkVideo.model_validate(response.json(), strict=True)
    assert video.seconds == "4"
    assert finished(client, video.id).seconds == "4"


def test_extending_a_video_that_is_not_yours_is_refused(client: openai.OpenAI) -> None:
    made = procedural(client, "clouds over hills")
    data = client.videos.download_content(made.id).read()
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.extend(
            video=("x.mp4", data[:-1] + bytes([data[-1] ^ 1]), "video/mp4"),
            prompt="on",
            seconds="4",
        )
    assert "not one of your videos" in caught.value.body["message"]  # type: ignore[index]


def test_edit_re_renders_with_the_instruction(client: openai.OpenAI) -> None:
    source = procedural(client, "a yellow kite over green hills")
    data = client.videos.download_content(source.id).read()
    edit = strict(client.videos.edit(video=("kite.mp4", data, "video/mp4"), prompt="make it snowy"))
    done = finished(client, edit.id)
    assert (done.seconds, done.size) == (source.seconds, source.size)
    snowy = frames_of(client.videos.download_content(edit.id).read())
    plain = frames_of(data)
    assert len(snowy) == len(plain)
    assert snowy[-1].mean() > plain[-1].mean()  # snow is white
