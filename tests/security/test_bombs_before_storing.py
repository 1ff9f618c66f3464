"""An image whose header declares more pixels than the limits is refused when it
arrives (413), before anything is stored: no job, no vault object, no row. Before this,
such a file was stored (encrypted) and its job failed later in the worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelvault.db.models import Job, StoredObject
from reelvault.media.image_header import declared_size
from reelvault.runtime import Runtime
from tests.security.hostile_corpus import _jpeg_with_size, _webp_vp8x, base_jpeg, png
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
