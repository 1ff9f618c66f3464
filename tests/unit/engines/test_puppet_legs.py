"""Leg fidelity on a real clip: the puppet squats when the reference squats."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reelvault.engines.base import GenerationRequest
from reelvault.engines.puppet import PuppetEngine, PuppetParams
from reelvault.media.decode import iter_video_frames
from reelvault.types import Task

from .test_puppet import DATA, PHOTO, joint_angles

SQUATS = DATA / "squats_woman_720x1280_5fps.mp4"
LEGS = ("left knee", "right knee", "left hip", "right hip")
WIDTH, HEIGHT = 288, 512  # the reference's portrait shape, so nothing is cropped away


def test_knees_and_hips_follow_the_squats(tmp_path: Path) -> None:
    request = GenerationRequest(
        task=Task.DANCE,
        width=WIDTH,
        height=HEIGHT,
        fps=5,
        seconds=13,
        seed=0,
        scratch_dir=tmp_path,
        params=PuppetParams(),
        inputs={"image": PHOTO, "reference_video": SQUATS},
    )
    video = PuppetEngine().run(request, lambda fraction, stage: None)
    frames = list(video.frames)
    reference = list(iter_video_frames(SQUATS, fps=video.fps, size=(WIDTH, HEIGHT)))
    count = min(len(frames), len(reference))
    assert count >= 60  # the whole 13 s clip at 5 fps
    ours, theirs = joint_angles(frames[:count]), joint_angles(reference[:count])
    correlations = {}
    for name in LEGS:
        a, b = ours[name], theirs[name]
        keep = ~(np.isnan(a) | np.isnan(b))
        assert keep.mean() > 0.8, name  # the legs are seen in most frames of both
        correlations[name] = float(np.corrcoef(a[keep], b[keep])[0, 1])
    assert all(value >= 0.8 for value in correlations.values()), correlations
