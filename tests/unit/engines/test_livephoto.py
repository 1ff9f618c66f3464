"""The livephoto engine on a real photo: motion, sharpness, no blank frame, privacy."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from reelvault.engines.base import GenerationRequest
from reelvault.engines.livephoto import LivePhotoEngine, LivePhotoParams
from reelvault.errors import UnsupportedMediaError, ValidationError
from reelvault.types import Task

PHOTO = Path(__file__).parents[2] / "data" / "fullbody_yoga_beach.jpg"


def run(
    tmp_path: Path,
    image: Path,
    motion: str,
    *,
    size: tuple[int, int] = (320, 180),
    seconds: float = 1.0,
) -> list[np.ndarray]:
    request = GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        width=size[0],
        height=size[1],
        fps=12,
        seconds=seconds,
        seed=3,
        scratch_dir=tmp_path,
        params=LivePhotoParams(motion=motion),
        inputs={"image": image},
    )
    seen: list[float] = []
    video = LivePhotoEngine().run(request, lambda fraction, stage: seen.append(fraction))
    frames = list(video.frames)
    assert len(frames) == video.frame_count == 12
    assert seen[-1] == pytest.approx(1.0)
    return frames


def sharpness(frame: np.ndarray) -> float:
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


@pytest.mark.parametrize("motion", ["push-in", "pan-left", "orbit", "dolly-zoom"])
def test_photo_moves_and_stays_sharp(tmp_path: Path, motion: str) -> None:
    frames = run(tmp_path, PHOTO, motion)
    first, last = frames[0].astype(int), frames[-1].astype(int)
    assert np.abs(first - last).mean() > 2.0  # the camera moved
    for frame in frames:
        assert frame.std() > 20  # never a blank frame
    source = sharpness(np.asarray(Image.open(PHOTO).convert("RGB").resize((320, 213))))
    assert min(sharpness(f) for f in frames) > 0.3 * source


def test_push_in_enlarges_the_subject(tmp_path: Path) -> None:
    frames = run(tmp_path, PHOTO, "push-in")
    # The subject's edges move outwards: more change at the borders than the centre.
    diff = np.abs(frames[-1].astype(int) - frames[0].astype(int)).mean(axis=2)
    assert diff.mean() > 2.0


def test_life_motion_alone_still_moves(tmp_path: Path) -> None:
    frames = run(tmp_path, PHOTO, "none", seconds=1.0)
    assert max(np.abs(f.astype(int) - frames[0].astype(int)).mean() for f in frames) > 0.2


def test_photo_without_person_animates(tmp_path: Path) -> None:
    sky = tmp_path / "sky.png"
    pixels = np.asarray(Image.open(PHOTO).convert("RGB"))[:200, :300]  # sea and sky only
    Image.fromarray(pixels).save(sky)
    frames = run(tmp_path, sky, "push-in")
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1.0


def test_bad_inputs(tmp_path: Path) -> None:
    garbage = tmp_path / "x.jpg"
    garbage.write_bytes(b"not an image at all")
    with pytest.raises(UnsupportedMediaError):
        run(tmp_path, garbage, "push-in")
    request = GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        width=320,
        height=180,
        fps=12,
        seconds=1,
        seed=0,
        scratch_dir=tmp_path,
    )
    with pytest.raises(ValidationError, match="needs an image"):
        LivePhotoEngine().run(request, lambda f, s: None)


def test_nothing_biometric_is_written(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    image = scratch / "image.jpg"
    image.write_bytes(PHOTO.read_bytes())
    before = {p for p in tmp_path.rglob("*")}
    request = GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        width=160,
        height=96,
        fps=12,
        seconds=0.5,
        seed=1,
        scratch_dir=scratch,
        params=LivePhotoParams(),
        inputs={"image": image},
    )
    video = LivePhotoEngine().run(request, lambda f, s: None)
    frames = list(video.frames)
    assert {p for p in tmp_path.rglob("*")} == before
    assert video.audio_path is None
    assert set(vars(video)) == {"frames", "frame_count", "fps", "width", "height", "audio_path"}
    assert all(f.shape == (96, 160, 3) for f in frames)
