"""The puppet dancing from a BVH motion-capture file instead of a video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelvault.engines.puppet.motion import (
    FRAME_SIDE,
    _side,
    landmark_joints,
    motion_landmarks,
    resample,
)
from reelvault.errors import ValidationError
from reelvault.media.bvh import parse_bvh
from tests.unit.engines.test_puppet import ANGLES, dance, joint_angles

SAMPLE = Path(__file__).parents[2] / "data" / "arms_and_knees_dance.bvh"
TEXT = SAMPLE.read_text()

# The sample's CMU-style names, as other tools write them.
POSER = {
    "LeftUpLeg": "lThigh",
    "LeftLeg": "lShin",
    "LeftFoot": "lFoot",
    "RightUpLeg": "rThigh",
    "RightLeg": "rShin",
    "RightFoot": "rFoot",
    "LeftShoulder": "lCollar",
    "LeftArm": "lShldr",
    "LeftForeArm": "lForeArm",
    "LeftHand": "lHand",
    "RightShoulder": "rCollar",
    "RightArm": "rShldr",
    "RightForeArm": "rForeArm",
    "RightHand": "rHand",
    "Hips": "hip",
    "Spine1": "chest",
    "Spine": "abdomen",
    "Head": "head",
}
SUFFIXED = {
    "LeftUpLeg": "thigh_l",
    "LeftLeg": "calf_l",
    "LeftFoot": "ankle_l",
    "RightUpLeg": "thigh_r",
    "RightLeg": "calf_r",
    "RightFoot": "ankle_r",
    "LeftArm": "upperarm_l",
    "LeftForeArm": "lowerarm_l",
    "LeftHand": "wrist_l",
    "RightArm": "upperarm_r",
    "RightForeArm": "lowerarm_r",
    "RightHand": "wrist_r",
    "LeftShoulder": "clavicle_l",
    "RightShoulder": "clavicle_r",
}


def renamed(names: dict[str, str], text: str = TEXT) -> str:
    lines = []
    for line in text.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] in ("ROOT", "JOINT") and words[1] in names:
            line = line.replace(words[1], names[words[1]])
        lines.append(line)
    return "\n".join(lines) + "\n"


def landmarks(text: str) -> np.ndarray:
    return motion_landmarks(parse_bvh(text.encode()))


USED = [0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


@pytest.mark.parametrize(
    "names",
    [POSER, SUFFIXED, {name: f"mixamorig:{name}" for name in POSER}],
    ids=["poser", "suffixed", "mixamo"],
)
def test_other_naming_conventions_give_the_same_dancer(names: dict[str, str]) -> None:
    assert np.allclose(landmarks(renamed(names))[:, USED], landmarks(TEXT)[:, USED])


@pytest.mark.parametrize(
    ("name", "side"),
    [
        ("LeftHand", "left"),
        ("lHand", "left"),
        ("L_Hand", "left"),
        ("hand.R", "right"),
        ("RightFoot", "right"),
        ("Head", None),
        ("LowerArm", None),
        ("Leg", None),
    ],
)
def test_sides_are_read_from_names(name: str, side: str | None) -> None:
    assert _side(name) == side


def with_twist_joint(text: str) -> str:
    """The sample with a twist helper between LeftForeArm and LeftHand, at the forearm."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["JOINT", "LeftHand"])
    depth = 0
    for end in range(start + 1, len(lines)):
        depth += lines[end].count("{") - lines[end].count("}")
        if depth == 0:
            break
    twist = ["JOINT LeftForeArmTwist", "{", "OFFSET 0 0 0", "CHANNELS 0"]
    return "\n".join(lines[:start] + twist + lines[start : end + 1] + ["}"] + lines[end + 1 :])


def test_twist_helpers_and_joints_at_the_same_place_are_passed_over() -> None:
    motion = parse_bvh(with_twist_joint(TEXT).encode())
    rows = landmark_joints(motion)
    assert "LeftForeArmTwist" in [joint.name for joint in motion.joints]
    assert motion.joints[rows[13]].name == "LeftForeArm"
    assert motion.joints[rows[15]].name == "LeftHand"


def test_a_skeleton_without_a_head_says_so() -> None:
    with pytest.raises(ValidationError, match="head"):
        landmarks(renamed({"Head": "Skull"}))


def test_the_camera_faces_the_dancer() -> None:
    points = landmarks(TEXT)
    first = points[0]
    assert first[11, 0] > first[12, 0]  # their left shoulder on the picture's right
    assert first[0, 1] < first[11, 1] < first[23, 1] < first[25, 1] < first[27, 1]
    assert (points[:, USED, :2] >= 0).all() and (points[:, USED, :2] <= FRAME_SIDE).all()
    # The arms go up and down as the file says: the left hand starts low, is high 0.75 s in.
    assert points[0, 15, 1] > points[0, 11, 1] > points[22, 15, 1]


def test_a_turned_or_z_up_file_is_seen_from_the_front_all_the_same() -> None:
    head, _, motion = TEXT.partition("MOTION")
    wrapped = head.replace(
        "ROOT Hips", "ROOT Scene\n{\nOFFSET 0 0 0\nCHANNELS 2 Xrotation Yrotation\nJOINT Hips", 1
    )
    rows = motion.strip().splitlines()
    frames = "\n".join(["-90 70 " + row if row[0] in "-0123456789" else row for row in rows])
    turned = landmarks(wrapped + "}\nMOTION\n" + frames + "\n")
    assert np.allclose(turned[:, USED], landmarks(TEXT)[:, USED], atol=1e-3)


def test_resampling_keeps_the_timing() -> None:
    points = np.arange(10, dtype=np.float32).reshape(10, 1, 1) * np.ones((1, 33, 3), np.float32)
    half = resample(points, 10.0, 5.0, 5)
    assert half[:, 0, 0].tolist() == [0, 2, 4, 6, 8]
    double = resample(points, 10.0, 20.0, 4)
    assert double[:, 0, 0].tolist() == [0, 0.5, 1, 1.5]


@pytest.fixture(scope="module")
def danced(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[np.ndarray], int]:
    return dance(tmp_path_factory.mktemp("bvh"), reference=SAMPLE)


def file_angles(points: np.ndarray) -> dict[str, np.ndarray]:
    """The ANGLES of the file's own landmarks, in degrees."""
    angles = {}
    for name, (a, b, c) in ANGLES.items():
        u, v = points[:, a, :2] - points[:, b, :2], points[:, c, :2] - points[:, b, :2]
        norms = np.maximum(np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1), 1e-9)
        angles[name] = np.degrees(np.arccos(np.clip((u * v).sum(axis=1) / norms, -1, 1)))
    return angles


def correlation(ours: np.ndarray, theirs: np.ndarray) -> float:
    keep = ~np.isnan(ours)
    assert keep.mean() > 0.9  # the output's dancer is found in nearly every frame
    return float(np.corrcoef(ours[keep], theirs[keep])[0, 1])


def test_the_photo_dances_the_files_moves(danced: tuple[list[np.ndarray], int]) -> None:
    frames, fps = danced
    assert fps == 30 and len(frames) == 120  # the file's frame time and length
    ours, theirs = joint_angles(frames), file_angles(landmarks(TEXT))
    moving = [name for name in ANGLES if np.std(theirs[name]) >= 10]
    assert {"left shoulder", "right shoulder"} <= set(moving)
    found = {name: correlation(ours[name], theirs[name]) for name in moving}
    assert min(found.values()) > 0.8, found


def test_a_bvh_reference_has_no_picture_to_show(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no picture"):
        dance(tmp_path, reference=SAMPLE, side_by_side=True)
    with pytest.raises(ValidationError, match="no picture"):
        dance(tmp_path, reference=SAMPLE, background="reference")


def test_a_mirrored_bvh_dance_swaps_the_arms(tmp_path: Path) -> None:
    frames, _ = dance(tmp_path, reference=SAMPLE, mirror=True)
    ours, theirs = joint_angles(frames[::2]), file_angles(landmarks(TEXT)[::2])
    # The arms move in turn: mirrored, the right shoulder does what the file's left does.
    assert correlation(ours["right shoulder"], theirs["left shoulder"]) > 0.8
    assert correlation(ours["right shoulder"], theirs["right shoulder"]) < 0
