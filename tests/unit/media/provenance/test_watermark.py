"""The invisible watermark: invisible (PSNR), fast, keyed, and found after common edits."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from reelvault.engines.base import GenerationRequest
from reelvault.engines.procedural import ProceduralEngine, ProceduralParams
from reelvault.errors import ValidationError
from reelvault.media.provenance import Watermarker, detect_watermark, new_video_id
from reelvault.types import Task

from .clips import DANCE, SQUATS, attack, psnr, read_frames, write

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


@pytest.fixture(scope="module")
def dance() -> list[np.ndarray]:
    return read_frames(DANCE)


@pytest.fixture(scope="module")
def marked_dance(dance: list[np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Path:
    marker = Watermarker(KEY)
    payload = bytes.fromhex("0123456789abcdef")
    frames = [marker.embed(frame, index, payload) for index, frame in enumerate(dance)]
    return write(frames, tmp_path_factory.mktemp("wm") / "marked.mp4", fps=30)


def procedural(tmp_path: Path, prompt: str, seconds: float = 2.0) -> list[np.ndarray]:
    request = GenerationRequest(
        task=Task.TEXT_TO_VIDEO,
        width=640,
        height=360,
        fps=24,
        seconds=seconds,
        seed=11,
        scratch_dir=tmp_path,
        prompt=prompt,
        params=ProceduralParams(),
    )
    return list(ProceduralEngine().run(request, lambda fraction, stage: None).frames)


def test_marked_frames_stay_above_40_db_psnr(dance: list[np.ndarray]) -> None:
    marker = Watermarker(KEY)
    payload = new_video_id()
    marked = [marker.embed(frame, index, payload) for index, frame in enumerate(dance[:30])]
    assert psnr(marked, dance[:30]) >= 40.0
    assert marked[0].dtype == np.uint8 and marked[0].shape == dance[0].shape


def test_embedding_is_fast_at_640x360() -> None:
    marker = Watermarker(KEY)
    frame = np.full((360, 640, 3), 128, dtype=np.uint8)
    payload = new_video_id()
    marker.embed(frame, 0, payload)  # the pattern is computed once per video
    started = time.perf_counter()
    for index in range(50):
        marker.embed(frame, index, payload)
    per_frame = (time.perf_counter() - started) / 50
    assert per_frame < 0.002  # measured about 0.05 ms; generous for slow, busy machines


def test_payload_must_be_eight_bytes() -> None:
    with pytest.raises(ValidationError):
        Watermarker(KEY).embed(np.zeros((64, 64, 3), np.uint8), 0, b"short")


def test_found_with_its_id_in_the_encoded_file(marked_dance: Path) -> None:
    detection = detect_watermark(marked_dance, KEY)
    assert detection.found and detection.confidence > 0.5
    assert detection.payload in (None, bytes.fromhex("0123456789abcdef"))


def test_not_found_with_another_key(marked_dance: Path) -> None:
    assert not detect_watermark(marked_dance, OTHER_KEY).found


@pytest.mark.parametrize(
    ("name", "crf", "scale", "crop"),
    [
        ("crf35", 35, 1.0, 0.0),
        ("half", 23, 0.5, 0.0),
        ("crop5", 28, 1.0, 0.05),
        # Half size *and* CRF 35 together is beyond the goals and not reached
        # (about 25% detected in bench/provenance.py).
        pytest.param("half_crf35", 35, 0.5, 0.0, marks=pytest.mark.xfail(strict=False)),
    ],
)
def test_survives_reencode_downscale_and_crop(
    marked_dance: Path, tmp_path: Path, name: str, crf: int, scale: float, crop: float
) -> None:
    attacked = attack(marked_dance, tmp_path / f"{name}.mp4", crf=crf, scale=scale, crop=crop)
    assert detect_watermark(attacked, KEY).found


def test_unmarked_real_clips_are_not_flagged(dance: list[np.ndarray], tmp_path: Path) -> None:
    assert not detect_watermark(DANCE, KEY).found
    assert not detect_watermark(SQUATS, KEY).found
    assert not detect_watermark(dance[:40], KEY).found


def test_procedural_output_found_after_crf35_and_crop(tmp_path: Path) -> None:
    frames = procedural(tmp_path, "a red balloon over a calm sea at sunset")
    marker = Watermarker(KEY)
    payload = new_video_id()
    marked = write([marker.embed(f, i, payload) for i, f in enumerate(frames)], tmp_path / "m.mp4")
    clean = write(frames, tmp_path / "c.mp4")
    assert detect_watermark(attack(marked, tmp_path / "crf35.mp4", crf=35), KEY).found
    assert detect_watermark(attack(marked, tmp_path / "crop.mp4", crf=28, crop=0.05), KEY).found
    assert not detect_watermark(clean, KEY).found
    assert not detect_watermark(attack(clean, tmp_path / "c35.mp4", crf=35), KEY).found


def test_squats_clip_marked_found_after_crf35(tmp_path: Path) -> None:
    frames = read_frames(SQUATS, 40)
    marker = Watermarker(OTHER_KEY)
    marked = [marker.embed(f, i, new_video_id()) for i, f in enumerate(frames)]
    path = write(marked, tmp_path / "m.mp4", fps=5)
    assert detect_watermark(attack(path, tmp_path / "crf35.mp4", crf=35), OTHER_KEY).found
