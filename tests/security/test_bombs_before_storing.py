"""An image whose header declares more pixels than the limits, or a video whose container
declares more pixels, seconds or frames, is refused when it arrives (413), before anything
is stored: no job, no vault object, no row, no scratch file. Before this, such a file was
stored (encrypted) and its job failed later in the worker."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelvault.db.models import Job, StoredObject
from reelvault.media.image_header import declared_size
from reelvault.runtime import Runtime
from tests.security.hostile_corpus import (
    CORPUS_VIDEO_BOMBS,
    _jpeg_with_size,
    _webp_vp8x,
    base_jpeg,
    boxes,
    build_corpus,
    png,
)
from tests.unit.api.conftest import make_client

BOMBS = {
    "jpeg-60000x60000": _jpeg_with_size(60000, 60000),
    "jpeg-9000x9000": _jpeg_with_size(9000, 9000),
    "jpeg-8000x8000-after-64k-exif": _jpeg_with_size(
        8000, 8000, base_jpeg()[:2] + b"\xff\xe1\xff\xfe" + b"\x00" * 65532 + base_jpeg()[2:]
    ),
    "png-100000x100000": png(100000, 100000),
    "png-8193x16": png(8193, 16),
    "webp-16000x16000": _webp_vp8x(16000, 16000),
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    client, runtime = make_client(tmp_path)
    with client:
        yield client, runtime
    runtime.close()


def _counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.session() as session:
        jobs = session.scalar(select(func.count()).select_from(Job)) or 0
        objects = session.scalar(select(func.count()).select_from(StoredObject)) or 0
    return jobs, objects


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_bomb_is_refused_before_it_is_stored(api: tuple[TestClient, Runtime], name: str) -> None:
    client, runtime = api
    vault = runtime.settings.vault_dir
    files_before = sorted(vault.rglob("*")) if vault.exists() else []
    answer = client.post(
        "/api/v1/jobs",
        data={"task": "image_to_video", "engine": "fake", "prompt": "a kite", "seconds": "1"},
        files={"image": ("me.img", BOMBS[name], "application/octet-stream")},
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["param"] == "image"
    assert _counts(runtime) == (0, 0)
    assert (sorted(vault.rglob("*")) if vault.exists() else []) == files_before


def test_an_ordinary_photo_still_goes_through(api: tuple[TestClient, Runtime]) -> None:
    client, _runtime = api
    photo = (Path(__file__).parents[1] / "data" / "fullbody_yoga_beach.jpg").read_bytes()
    answer = client.post(
        "/api/v1/jobs",
        data={"task": "image_to_video", "engine": "fake", "prompt": "a kite", "seconds": "1"},
        files={"image": ("me.jpg", photo, "image/jpeg")},
    )
    assert answer.status_code == 201, answer.text
    assert declared_size(photo) is not None


def _mp4(tmp: Path, pts: Sequence[int], size: tuple[int, int], *, moov_first: bool) -> bytes:
    """A real MP4 (MPEG-4 part 2, one frame a second) with frames at ``pts`` seconds;
    its moov box after the media data, as FFmpeg writes it, or first ("faststart")."""
    path = tmp / f"bomb-{len(pts)}-{size[0]}-{moov_first}.mp4"
    options = {"movflags": "faststart"} if moov_first else {}
    with av.open(str(path), mode="w", format="mp4", options=options) as container:
        stream = container.add_stream("mpeg4", rate=1)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, 1)
        for at in pts:
            frame = av.VideoFrame.from_ndarray(
                np.zeros((size[1], size[0], 3), dtype=np.uint8), format="rgb24"
            )
            frame.pts = at
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = path.read_bytes()
    order = [kind for kind, _, _ in boxes(data)]
    assert (order.index(b"moov") < order.index(b"mdat")) == moov_first
    return data


def _video_bombs(tmp: Path) -> dict[str, bytes]:
    corpus = {sample.name: sample.data for sample in build_corpus()}
    made = {
        f"mp4-{what}-moov-{where}": _mp4(tmp, pts, size, moov_first=where == "first")
        for what, pts, size in (("2-hours", (0, 7200), (16, 16)), ("8190x16", (0,), (8190, 16)))
        for where in ("first", "last")
    }
    return made | {name: corpus[name] for name in CORPUS_VIDEO_BOMBS}


VIDEO_BOMBS = (
    "mp4-2-hours-moov-first",
    "mp4-2-hours-moov-last",
    "mp4-8190x16-moov-first",
    "mp4-8190x16-moov-last",
    *CORPUS_VIDEO_BOMBS,
)


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.mark.parametrize("name", VIDEO_BOMBS)
def test_a_video_bomb_is_refused_before_it_is_stored(
    api: tuple[TestClient, Runtime], tmp_path: Path, name: str
) -> None:
    client, runtime = api
    bomb = _video_bombs(tmp_path)[name]
    vault, scratch = runtime.settings.vault_dir, runtime.settings.scratch_dir
    files_before = _files(vault)
    # The photo comes first: it is stored, then shredded when the video is refused.
    answer = client.post(
        "/api/v1/jobs",
        data={"task": "dance", "engine": "fake", "prompt": "a kite", "seconds": "1"},
        files={
            "image": ("me.jpg", base_jpeg(), "image/jpeg"),
            "reference_video": ("dance.mp4", bomb, "video/mp4"),
        },
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["param"] == "reference_video"
    assert _counts(runtime) == (0, 0)
    assert _files(vault) == files_before
    assert _files(scratch) == []


def test_an_ordinary_dance_video_still_goes_through(api: tuple[TestClient, Runtime]) -> None:
    client, runtime = api
    dance = (Path(__file__).parents[1] / "data" / "SYNTHETIC_dance_moves_576.mp4").read_bytes()
    answer = client.post(
        "/api/v1/jobs",
        data={"task": "dance", "engine": "fake", "prompt": "a kite", "seconds": "1"},
        files={
            "image": ("me.jpg", base_jpeg(), "image/jpeg"),
            "reference_video": ("dance.mp4", dance, "video/mp4"),
        },
    )
    assert answer.status_code == 201, answer.text
    assert _counts(runtime)[0] == 1
