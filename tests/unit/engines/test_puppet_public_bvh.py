"""A real motion capture from a public source drives the puppet (#21 goal 8).

``jesse_dance.bvh`` is a person dancing, captured from a phone video with Rokoko
(Mixamo skeleton, 60 joints, 100 frames a second; MIT, facebookresearch/AnimatedDrawings;
tests/data/SOURCES.md). Unlike the project's own sample it was not written for these
tests: the dancer must follow its arms, legs and hips.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from reelvault.engines.base import GenerationRequest
from reelvault.engines.puppet import PuppetEngine, PuppetParams
from reelvault.engines.puppet.motion import motion_landmarks, resample
from reelvault.media.bvh import parse_bvh
from reelvault.types import Task
from tests.unit.engines.test_puppet import ANGLES, PHOTO, SIZE, joint_angles
from tests.unit.engines.test_puppet_motion import file_angles

JESSE = Path(__file__).parents[2] / "data" / "jesse_dance.bvh"
SECONDS = 4


@pytest.fixture(scope="module")
def danced() -> tuple[list[np.ndarray], int]:
    request = GenerationRequest(
        task=Task.DANCE,
        width=SIZE,
        height=SIZE,
        fps=30,
        seconds=SECONDS,
        seed=0,
        scratch_dir=Path(tempfile.mkdtemp(prefix="jesse-")),
        params=PuppetParams.model_validate({}),
        inputs={"image": PHOTO, "reference_video": JESSE},
    )
    video = PuppetEngine().run(request, lambda fraction, stage: None)
    return list(video.frames), video.fps


def test_the_file_is_read_at_its_own_frame_time(danced: tuple[list[np.ndarray], int]) -> None:
    frames, fps = danced
    motion = parse_bvh(JESSE.read_bytes())
    assert motion.frame_time == pytest.approx(0.01)
    assert len(frames) == SECONDS * fps  # cut to the length asked for, none dropped


def test_the_photo_dances_the_captured_moves(danced: tuple[list[np.ndarray], int]) -> None:
    frames, fps = danced
    motion = parse_bvh(JESSE.read_bytes())
    points = resample(motion_landmarks(motion), 1 / motion.frame_time, fps, len(frames))
    ours, theirs = joint_angles(frames), file_angles(points)
    moving = [name for name in ANGLES if np.std(theirs[name]) >= 10]
    assert {"left knee", "right knee", "left elbow", "right elbow"} <= set(moving)
    found = {}
    for name in moving:
        keep = ~np.isnan(ours[name])
        assert keep.mean() > 0.9, name  # the dancer is found in nearly every frame
        found[name] = float(np.corrcoef(ours[name][keep], theirs[name][keep])[0, 1])
    # Measured (4 s, 256x256, the yoga photo): elbows 0.93, shoulders 0.93/0.87, knees
    # 0.89/0.81, hips 0.76/0.62 (the hips are the weak joints, #21); mean 0.84.
    assert min(found.values()) > 0.5, found
    assert np.mean(list(found.values())) > 0.8, found
