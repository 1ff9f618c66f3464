"""The official openai SDK, unmodified, against a live reelvault server on a free port."""

from __future__ import annotations

import io
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import av
import openai
import pytest
import uvicorn

from reelvault.app.factory import create_app
from reelvault.app.server import server_config
from reelvault.jobs.owners import create_api_key
from reelvault.jobs.runtime import Runtime
from reelvault.testing import settings_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Runtime]]:
    settings = settings_for(tmp_path_factory.mktemp("live"))
    runtime = Runtime.open(settings)
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
def client(server: tuple[str, str, Runtime]) -> openai.OpenAI:
    base_url, key, _ = server
    warnings.simplefilter("ignore", DeprecationWarning)  # the SDK marks the Videos API deprecated
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)


def test_create_and_poll_then_download(client: openai.OpenAI, tmp_path: Path) -> None:
    video = client.videos.create_and_poll(
        model="reelvault-procedural",
        prompt="a paper boat on a rainy street",
        seconds="4",
        size="1280x720",
        poll_interval_ms=200,
    )
    assert video.status == "completed", video.error
    assert video.object == "video"
    assert video.progress == 100
    assert video.model == "reelvault-procedural"
    assert video.seconds == "4" and video.size == "1280x720"
    assert video.completed_at is not None and video.completed_at >= video.created_at
    assert video.expires_at is not None and video.expires_at > video.completed_at
    assert video.prompt is None  # the service never echoes prompts

    target = tmp_path / "boat.mp4"
    client.videos.download_content(video.id).write_to_file(target)
    with av.open(str(target)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (1280, 720)
        assert stream.average_rate == 24
        assert sum(1 for _ in container.decode(stream)) == 96
    thumb = client.videos.download_content(video.id, variant="thumbnail").read()
    assert thumb[:4] == b"RIFF"

    assert client.videos.retrieve(video.id).id == video.id
    listed = client.videos.list(limit=10)
    assert video.id in [item.id for item in listed.data]

    deleted = client.videos.delete(video.id)
    assert deleted.deleted is True and deleted.object == "video.deleted"
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)


def test_unknown_model_is_a_clear_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(model="sora-2", prompt="anything")
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == "model"
    assert "unknown model 'sora-2'" in error["message"]
    assert error["type"] == "invalid_request_error"


def test_list_order_and_pagination(client: openai.OpenAI) -> None:
    made = [
        client.videos.create(model="reelvault-procedural", prompt=f"clouds {n}", size="320x180")
        for n in range(3)
    ]
    page = client.videos.list(limit=2, order="asc")
    ids = [item.id for item in page.data]
    assert len(ids) == 2
    # iterating a page follows `has_more`/`last_id` through every page
    everything = [item.id for item in client.videos.list(order="asc", limit=2)]
    assert everything[-3:] == [video.id for video in made]


def test_bad_input_errors_use_openai_shape(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(model="reelvault-procedural", prompt="x", size="999x999")
    assert caught.value.body["param"] == "size"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError):
        client.videos.create(model="reelvault-procedural", prompt="x", seconds="forever")  # type: ignore[arg-type]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=str(client.base_url), api_key="rv-nope", max_retries=0).videos.list()


def test_image_reference_to_a_text_only_engine_is_refused(
    client: openai.OpenAI, server: tuple[str, str, Runtime]
) -> None:
    photo = (Path(__file__).parents[1] / "data" / "fullbody_yoga_beach.jpg").read_bytes()
    vault = server[2].vault
    before = set(vault.object_ids())
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(
            model="reelvault-procedural",
            prompt="make it move",
            input_reference=("me.jpg", io.BytesIO(photo), "image/jpeg"),
            size="320x180",
        )
    assert "cannot do image_to_video" in caught.value.body["message"]  # type: ignore[index]
    assert set(vault.object_ids()) <= before  # the refused upload was shredded
