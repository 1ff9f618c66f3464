"""POST /api/v1/provenance/verify: what a user learns about a file, and nothing kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from reelvault.api.routes import provenance
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.config import Settings
from reelvault.media.encode import encode_h264
from reelvault.media.provenance import (
    ProvenanceClaims,
    Watermarker,
    init_provenance,
    load_signer,
    new_video_id,
    sign_video,
    watermark_key,
)
from reelvault.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for

DATA = Path(__file__).parents[2] / "data"
URL = "/api/v1/provenance/verify"


def _client(tmp_path: Path, **overrides: Any) -> tuple[TestClient, Runtime]:
    settings = settings_for(tmp_path, **overrides)
    init_provenance(settings)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    app = create_app(settings, runtime=runtime, worker_mode="thread")
    if not any(getattr(route, "path", "") == URL for route in app.routes):
        app.include_router(provenance.router)  # until the app includes it itself
    return TestClient(app), runtime


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    client, runtime = _client(tmp_path)
    with client:
        client.runtime = runtime  # type: ignore[attr-defined]
        yield client
    runtime.close()


def _generated_video(settings: Settings, path: Path) -> str:
    """A small video made the way the runner makes one: watermarked, encoded, signed."""
    rng = np.random.default_rng(3)
    base = rng.integers(40, 200, (1, 1, 3)) + np.zeros((256, 320, 3))
    texture = rng.normal(0, 18, (256, 320, 1))
    key = watermark_key(settings)
    assert key is not None
    marker, video_id = Watermarker(key), new_video_id()
    frames = []
    for index in range(24):
        frame = np.clip(base + np.roll(texture, index * 2, axis=1), 0, 255).astype(np.uint8)
        frames.append(marker.embed(frame, index, video_id))
    encode_h264(frames, path, fps=12, width=320, height=256)
    signer = load_signer(settings)
    assert signer is not None
    claims = ProvenanceClaims(
        "procedural", "procedural-v1", "algorithmicMedia", watermark_id=video_id.hex()
    )
    sign_video(path, path, claims, signer)
    return video_id.hex()


def _scratch_is_empty(settings: Settings) -> bool:
    return not settings.scratch_dir.exists() or not any(settings.scratch_dir.iterdir())


def test_a_generated_video_is_reported_signed_and_watermarked(
    api: TestClient, tmp_path: Path
) -> None:
    settings = api.runtime.settings  # type: ignore[attr-defined]
    video = tmp_path / "made.mp4"
    _generated_video(settings, video)
    response = api.post(URL, files={"file": ("made.mp4", video.read_bytes(), "video/mp4")})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["media_type"] == "video/mp4"
    assert report["manifest"] == "valid"
    assert report["digital_source_type"] == "algorithmicMedia"
    assert report["engine"] == "procedural"
    assert report["watermark_checked"] and report["watermark_found"]
    assert report["ai_generated"] is True
    assert _scratch_is_empty(settings)


def test_one_changed_byte_is_reported_as_tampered(api: TestClient, tmp_path: Path) -> None:
    settings = api.runtime.settings  # type: ignore[attr-defined]
    video = tmp_path / "made.mp4"
    _generated_video(settings, video)
    original = video.read_bytes()
    read_as_video = 0
    # Bytes in the media data, after the manifest. The frames differ from run to run (a
    # random watermark key and id), and a flipped byte may now and then break a frame so
    # that the file is refused as undecodable (415): that is no "valid" either. Every
    # change the server reads must be reported as tampered.
    for offset in (-100, -400, -1600, -3200):
        data = bytearray(original)
        data[offset] ^= 0xFF
        response = api.post(URL, files={"file": ("made.mp4", bytes(data), "video/mp4")})
        assert response.status_code in (200, 415), response.text
        if response.status_code == 200:
            assert response.json()["manifest"] == "invalid", offset
            read_as_video += 1
    assert read_as_video >= 2


def test_an_ordinary_photo_has_no_manifest_and_no_mark(api: TestClient) -> None:
    photo = (DATA / "fullbody_yoga_beach.jpg").read_bytes()
    response = api.post(URL, files={"file": ("photo.jpg", photo, "image/jpeg")})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["media_type"] == "image/jpeg"
    assert report["manifest"] == "absent"
    assert report["watermark_found"] is False
    assert report["ai_generated"] is False


def test_other_formats_are_refused_with_415(api: TestClient) -> None:
    response = api.post(URL, files={"file": ("notes.txt", b"just some text\n" * 10, "text/plain")})
    assert response.status_code == 415
    assert _scratch_is_empty(api.runtime.settings)  # type: ignore[attr-defined]


def test_a_request_without_a_file_is_refused(api: TestClient) -> None:
    assert api.post(URL, data={"other": "x"}).status_code == 422
    assert api.post(URL, json={"file": "x"}).status_code == 422


def test_an_oversized_upload_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    client, runtime = _client(tmp_path, max_video_bytes=4096)
    with client:
        response = client.post(URL, files={"file": ("big.mp4", b"\0" * 20_000, "video/mp4")})
    runtime.close()
    assert response.status_code == 413
    assert _scratch_is_empty(runtime.settings)
