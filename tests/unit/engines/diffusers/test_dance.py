"""Dance with Wan-Animate: pose and face videos made from a real reference video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelvault.config import Settings
from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine
from reelvault.engines.diffusers.wan_animate import PoseConditioner
from reelvault.media.pose import track
from reelvault.types import Task

DATA = Path(__file__).resolve().parents[3] / "data"
REFERENCE = DATA / "SYNTHETIC_dance_moves_576.mp4"
PORTRAIT = DATA / "fullbody_yoga_beach.jpg"


def test_pose_and_face_videos_follow_the_reference() -> None:
    conditioning = PoseConditioner(track)(
        REFERENCE, width=64, height=48, frame_count=10, fps=8, face_size=32
    )
    assert len(conditioning.pose_frames) == len(conditioning.face_frames) == 10
    assert conditioning.pose_frames[0].size == (64, 48)
    assert conditioning.face_frames[0].size == (32, 32)
    poses = np.stack([np.asarray(frame) for frame in conditioning.pose_frames])
    assert poses.max() > 0  # a skeleton was drawn
    assert not np.array_equal(poses[0], poses[-1])  # and it moves


def test_a_dance_from_a_portrait_and_a_reference(tiny_settings: Settings, tmp_path: Path) -> None:
    pytest.importorskip("ftfy")  # WanAnimatePipeline needs it (part of the diffusers extra)
    engine = DiffusersEngine(tiny_settings, motion_conditioner=PoseConditioner(track))
    request = GenerationRequest(
        task=Task.DANCE,
        width=32,
        height=32,
        fps=8,
        seconds=1.0,
        seed=1,
        scratch_dir=tmp_path,
        prompt="a person dancing on the beach",
        params=parse_params(engine, {"model": "tiny-animate", "steps": 2}),
        inputs={"image": PORTRAIT, "reference_video": REFERENCE},
    )
    stages: list[str] = []
    video = engine.run(request, lambda fraction, stage: stages.append(stage))
    frames = list(video.frames)
    assert len(frames) == 8 and frames[0].shape == (32, 32, 3)
    assert stages.count("denoising") == 3 and stages[-1] == "decoding"
