"""The puppet engine on real media: dance fidelity, identity, errors, privacy."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image

from reelvault.engines.base import GenerationRequest
from reelvault.engines.puppet import PuppetEngine, PuppetParams
from reelvault.errors import ValidationError
from reelvault.media.decode import iter_video_frames
from reelvault.types import Task

DATA = Path(__file__).parents[2] / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
DANCE = DATA / "SYNTHETIC_dance_moves_576.mp4"
SIZE = 256

# (a, b, c): the angle at b between b→a and b→c. MediaPipe landmark indices.
ANGLES = {
    "left elbow": (11, 13, 15),
    "right elbow": (12, 14, 16),
    "left shoulder": (23, 11, 13),
    "right shoulder": (24, 12, 14),
    "left knee": (23, 25, 27),
    "right knee": (24, 26, 28),
    "left hip": (11, 23, 25),
    "right hip": (12, 24, 26),
}


def dance(
    tmp_path: Path, image: Path = PHOTO, reference: Path = DANCE, **params: object
) -> tuple[list[np.ndarray], int]:
    request = GenerationRequest(
        task=Task.DANCE,
        width=SIZE,
        height=SIZE,
        fps=30,
        seconds=10,
        seed=0,
        scratch_dir=tmp_path,
        params=PuppetParams.model_validate(params),
        inputs={"image": image, "reference_video": reference},
    )
    video = PuppetEngine().run(request, lambda fraction, stage: None)
    frames = list(video.frames)
    assert len(frames) == video.frame_count
    return frames, video.fps


def joint_angles(frames: list[np.ndarray]) -> dict[str, np.ndarray]:
    import mediapipe as mp

    series: dict[str, list[float]] = {name: [] for name in ANGLES}
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        for frame in frames:
            result = pose.process(frame)
            for name, (a, b, c) in ANGLES.items():
                if result.pose_landmarks is None:
                    series[name].append(np.nan)
                    continue
                lm = result.pose_landmarks.landmark
                p = np.array([[lm[i].x, lm[i].y] for i in (a, b, c)])
                u, v = p[0] - p[1], p[2] - p[1]
                cosine = u @ v / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9)
                series[name].append(float(np.degrees(np.arccos(np.clip(cosine, -1, 1)))))
    return {name: np.array(values) for name, values in series.items()}


@pytest.fixture(scope="module")
def danced(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[np.ndarray], int]:
    return dance(tmp_path_factory.mktemp("dance"))


def test_output_follows_the_reference_dance(danced: tuple[list[np.ndarray], int]) -> None:
    frames, fps = danced
    assert fps == 30 and len(frames) == 120  # as long as the reference, at its rate
    reference = list(iter_video_frames(DANCE, fps=30, size=(SIZE, SIZE)))
    ours, theirs = joint_angles(frames), joint_angles(reference)
    correlations = {}
    for name in ANGLES:
        a, b = ours[name], theirs[name]
        keep = ~(np.isnan(a) | np.isnan(b))
        if np.std(b[keep]) < 5:  # a joint that barely moves says nothing
            continue
        correlations[name] = float(np.corrcoef(a[keep], b[keep])[0, 1])
    assert len(correlations) >= 4, correlations
    assert np.mean(list(correlations.values())) >= 0.8, correlations


def test_the_dancer_is_the_person_of_the_photo(danced: tuple[list[np.ndarray], int]) -> None:
    import mediapipe as mp

    frames, _ = danced
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))

    def histogram(image: np.ndarray) -> np.ndarray:
        with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
            mask = (seg.process(image).segmentation_mask > 0.5).astype(np.uint8)
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1], mask, [18, 8], [0, 180, 0, 256])
        return cv2.normalize(hist, hist).flatten()

    target = histogram(photo)
    for frame in frames[::30]:
        assert cv2.compareHist(target, histogram(frame), cv2.HISTCMP_CORREL) > 0.7


def test_mirror_and_side_by_side(tmp_path: Path) -> None:
    frames, _ = dance(tmp_path, mirror=True, side_by_side=True)
    assert frames[0].shape == (SIZE, SIZE, 3)  # two panels of half the width


def test_no_person_in_the_photo(tmp_path: Path) -> None:
    sky = tmp_path / "sky.png"
    Image.fromarray(np.asarray(Image.open(PHOTO).convert("RGB"))[:200, :300]).save(sky)
    with pytest.raises(ValidationError, match="no person found in the photo"):
        dance(tmp_path, image=sky)


def test_portrait_cropped_above_the_hips_names_what_is_missing(tmp_path: Path) -> None:
    bust = tmp_path / "bust.png"
    Image.fromarray(np.asarray(Image.open(PHOTO).convert("RGB"))[:300]).save(bust)
    with pytest.raises(ValidationError, match=r"missing: .*hip"):
        dance(tmp_path, image=bust)


def test_portrait_without_legs_still_dances(tmp_path: Path) -> None:
    waist = tmp_path / "waist.png"
    Image.fromarray(np.asarray(Image.open(PHOTO).convert("RGB"))[:440]).save(waist)
    try:
        frames, _ = dance(tmp_path, image=waist)
    except ValidationError as exc:  # acceptable only when it names the missing joints
        assert "missing" in str(exc)
        return
    assert np.abs(frames[0].astype(int) - frames[60].astype(int)).mean() > 1.0


def test_reference_without_a_person(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    with av.open(str(empty), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width = stream.height = 128
        stream.pix_fmt = "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(
                np.full((128, 128, 3), 20 * i, np.uint8), format="rgb24"
            )
            frame.pts, frame.time_base = i, Fraction(1, 10)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(ValidationError, match=r"only 0% of the reference"):
        dance(tmp_path, reference=empty)


def test_nothing_biometric_is_written(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "image.jpg").write_bytes(PHOTO.read_bytes())
    (scratch / "reference_video.mp4").write_bytes(DANCE.read_bytes())
    before = set(tmp_path.rglob("*"))
    request = GenerationRequest(
        task=Task.DANCE,
        width=128,
        height=128,
        fps=30,
        seconds=1,
        seed=0,
        scratch_dir=scratch,
        inputs={"image": scratch / "image.jpg", "reference_video": scratch / "reference_video.mp4"},
    )
    video = PuppetEngine().run(request, lambda f, s: None)
    frames = list(video.frames)
    assert len(frames) == 30  # the request's seconds cap the reference's length
    assert set(tmp_path.rglob("*")) == before
    assert set(vars(video)) == {"frames", "frame_count", "fps", "width", "height", "audio_path"}
    assert video.audio_path is None  # the reference has no audio track
