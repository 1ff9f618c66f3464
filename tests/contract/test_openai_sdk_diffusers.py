"""A remix of a diffusers video through the official openai SDK, against a live server.

A tiny randomly initialised Wan (built and saved in the test, listed in the user
catalogue) makes a video; the SDK's ``client.videos.remix`` makes it again with
WanVideoToVideoPipeline. Responses validate with ``openai.types.Video`` in strict mode
(size aside: see :func:`strict`).
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import openai
import pydantic
import pytest
from openai.types import Video as SdkVideo

pytest.importorskip("diffusers")  # the diffusers extra: torch, diffusers, transformers

import uvicorn

from reelvault.accounts.keys import create_api_key
from reelvault.app.factory import create_app
from reelvault.app.server import server_config
from reelvault.testing import settings_for
from tests.contract.test_openai_sdk_derived import Live, frames_of, free_port
from tests.unit.engines.diffusers.test_derived_jobs import (
    runtime_with_diffusers,
    write_catalogue,
)
from tests.unit.engines.diffusers.tiny_models import build_wan


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("sdk-diffusers")
    settings = settings_for(root / "server", device="cpu", policy="standard")
    # 4 s (one of OpenAI's lengths) at 1 fps: 4 frames (5 made, the VAE's 4k + 1).
    write_catalogue(settings, {"tiny-wan": build_wan(root / "wan")}, only=("tiny-wan",), fps=[1])
    runtime = runtime_with_diffusers(settings)
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


def strict(video: Any) -> SdkVideo:
    """The response as the SDK's own model, validated strictly, size aside.

    OpenAI's model lists four sizes, all too large for a tiny model on a CPU (measured:
    one 5-frame 1280x720 tiny Wan video took 47 s on 2 threads, 38 s of it in the VAE's
    decode): the only error allowed is the size's, which is checked against the job's.
    """
    dump = video.model_dump(mode="json")
    try:
        return SdkVideo.model_validate(dump, strict=True)
    except pydantic.ValidationError as error:
        assert [(e["loc"], e["type"]) for e in error.errors()] == [(("size",), "literal_error")]
        assert dump["size"] == "32x32"
    return SdkVideo.model_construct(**dump)


def finished(client: openai.OpenAI, video_id: str) -> SdkVideo:
    video = client.videos.poll(video_id, poll_interval_ms=100)
    assert video.status == "completed", video.error
    return strict(video)


def test_the_sdk_remixes_a_tiny_wan_video(server: Live) -> None:
    base_url, key, _ = server
    warnings.simplefilter("ignore", DeprecationWarning)  # the SDK marks the Videos API deprecated
    client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
    # No size: the model's own (32x32) and its frame rate (1 fps), not the route's
    # 1280x720 at 24 fps, which the model would refuse.
    made = strict(client.videos.create(model="tiny-wan", prompt="a fox in the snow", seconds="4"))
    source = finished(client, made.id)
    assert (source.seconds, source.size, source.model) == ("4", "32x32", "tiny-wan")
    remix = strict(client.videos.remix(source.id, prompt="the same fox at night"))
    assert remix.remixed_from_video_id == source.id
    assert (remix.seconds, remix.size, remix.model) == (source.seconds, source.size, source.model)
    done = finished(client, remix.id)
    assert done.remixed_from_video_id == source.id
    frames = frames_of(client.videos.download_content(remix.id).read())
    mp4 = client.videos.download_content(source.id).read()
    # 4 s at the model's 1 fps, 32x32, as the source
    assert len(frames) == 4 and frames[0].shape == (32, 32, 3)
    # a model without a video-to-video edit: the SDK raises the server's 400
    # (the SDK sends the video to edit as a file: the server finds it is this one)
    with pytest.raises(openai.BadRequestError, match="model tiny-wan cannot edit videos"):
        client.videos.edit(video=("fox.mp4", mp4, "video/mp4"), prompt="make it snowy")
