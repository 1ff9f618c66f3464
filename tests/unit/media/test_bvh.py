"""BVH files: parsed exactly, refused cleanly, posed by forward kinematics."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationError
from reelvault.media.bvh import Motion, parse_bvh, read_bvh, world_positions
from reelvault.media.sniff import BVH, sniff
from reelvault.media.validate import MediaLimits

SAMPLE = Path(__file__).parents[2] / "data" / "arms_and_knees_dance.bvh"
ROTATIONS = ("Xrotation", "Yrotation", "Zrotation")

# A skeleton: for each joint its parent (a lower index, -1 for the root), offset, channels.
Skeleton = list[tuple[int, tuple[float, float, float], tuple[str, ...], bool]]


def write_bvh(skeleton: Skeleton, frames: np.ndarray, frame_time: float) -> bytes:
    """The BVH text of a skeleton (joints in depth-first order) and its frames."""
    lines = ["HIERARCHY"]

    def block(index: int, depth: int) -> None:
        parent, offset, channels, end = skeleton[index]
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if parent < 0 else 'JOINT'} joint{index}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {offset[0]!r} {offset[1]!r} {offset[2]!r}")
        lines.append(f"{pad}  CHANNELS {len(channels)} {' '.join(channels)}".rstrip())
        for child, (child_parent, *_rest) in enumerate(skeleton):
            if child_parent == index:
                block(child, depth + 1)
        if end:
            lines.extend([f"{pad}  End Site", pad + "  {", f"{pad}    OFFSET 0 1 0", pad + "  }"])
        lines.append(pad + "}")

    block(0, 0)
    lines += ["MOTION", f"Frames: {len(frames)}", f"Frame Time: {frame_time!r}"]
    lines += [" ".join(repr(float(v)) for v in row) for row in frames]
    return ("\n".join(lines) + "\n").encode()


finite = st.floats(-500, 500, allow_nan=False, allow_infinity=False)
offsets = st.tuples(finite, finite, finite)


@st.composite
def skeletons(draw: st.DrawFn) -> Skeleton:
    """Trees whose joints are numbered depth-first (as a BVH file lists them)."""
    count = draw(st.integers(1, 8))
    skeleton: Skeleton = []
    path: list[int] = []  # the current joint's ancestors and itself
    for index in range(count):
        if index:
            path = path[: draw(st.integers(1, len(path)))]
        parent = path[-1] if path else -1
        channels = draw(st.permutations(ROTATIONS))
        if parent < 0 or draw(st.booleans()):
            channels = ("Xposition", "Yposition", "Zposition", *channels)
        skeleton.append((parent, draw(offsets), tuple(channels), draw(st.booleans())))
        path.append(index)
    return skeleton


@st.composite
def motions(draw: st.DrawFn) -> tuple[Skeleton, np.ndarray, float]:
    skeleton = draw(skeletons())
    channels = sum(len(joint[2]) for joint in skeleton)
    frame_count = draw(st.integers(1, 5))
    values = draw(
        st.lists(finite, min_size=channels * frame_count, max_size=channels * frame_count)
    )
    frame_time = draw(st.sampled_from([1 / 24, 1 / 30, 1 / 60, 1 / 120, 0.1]))
    return skeleton, np.array(values, np.float64).reshape(frame_count, channels), frame_time


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(motions())
def test_what_is_written_is_read_back(case: tuple[Skeleton, np.ndarray, float]) -> None:
    skeleton, frames, frame_time = case
    motion = parse_bvh(write_bvh(skeleton, frames, frame_time))
    # The writer lists children in index order, so depth-first order is index order.
    assert [joint.parent for joint in motion.joints] == [joint[0] for joint in skeleton]
    assert [joint.offset for joint in motion.joints] == [joint[1] for joint in skeleton]
    assert [joint.channels for joint in motion.joints] == [joint[2] for joint in skeleton]
    assert [joint.end is not None for joint in motion.joints] == [j[3] for j in skeleton]
    assert np.array_equal(motion.frames, frames)
    assert motion.frame_time == frame_time
    assert motion.duration_seconds == pytest.approx(len(frames) * frame_time)


@settings(max_examples=150, deadline=None)
@given(motions())
def test_rotations_keep_every_bone_its_length(case: tuple[Skeleton, np.ndarray, float]) -> None:
    skeleton, frames, frame_time = case
    motion = parse_bvh(write_bvh(skeleton, frames, frame_time))
    positions, ends = world_positions(motion)
    for index, joint in enumerate(motion.joints):
        if joint.end is not None:
            assert np.allclose(np.linalg.norm(ends[:, index] - positions[:, index], axis=1), 1.0)
        if joint.parent < 0 or "Xposition" in joint.channels:
            continue
        bone = np.linalg.norm(positions[:, index] - positions[:, joint.parent], axis=1)
        assert np.allclose(bone, math.dist(joint.offset, (0, 0, 0)), atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(skeletons())
def test_without_rotations_joints_sit_at_their_summed_offsets(skeleton: Skeleton) -> None:
    channels = sum(len(joint[2]) for joint in skeleton)
    motion = parse_bvh(write_bvh(skeleton, np.zeros((1, channels)), 1 / 30))
    positions, _ = world_positions(motion)
    for index, (parent, offset, _channels, _end) in enumerate(skeleton):
        base = positions[0, parent] if parent >= 0 else np.zeros(3)
        assert np.allclose(positions[0, index], base + np.asarray(offset))


def test_rotation_order_and_direction_follow_the_format() -> None:
    # A bone along +X turned 90 degrees about Z points up (+Y); about Y first then Z
    # differs from Z then Y.
    def tip(channels: str, values: str) -> np.ndarray:
        text = (
            "HIERARCHY\nROOT a\n{\n OFFSET 0 0 0\n CHANNELS 2 " + channels + "\n"
            " JOINT b\n {\n  OFFSET 1 0 0\n  CHANNELS 0\n }\n}\n"
            "MOTION\nFrames: 1\nFrame Time: 0.04\n" + values + "\n"
        )
        positions, _ = world_positions(parse_bvh(text.encode()))
        return positions[0, 1]

    assert np.allclose(tip("Zrotation Yrotation", "90 0"), [0, 1, 0])
    assert np.allclose(tip("Zrotation Yrotation", "90 90"), [0, 0, -1])
    assert np.allclose(tip("Yrotation Zrotation", "90 90"), [0, 1, 0])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_files_are_refused_with_a_validation_error(data: st.DataObject) -> None:
    text = SAMPLE.read_bytes()[:4000] + b"\nMOTION\nFrames: 1\nFrame Time: 0.04\n0\n"
    sample = SAMPLE.read_bytes()
    source = data.draw(st.sampled_from([sample, text]))
    start = data.draw(st.integers(0, len(source)))
    length = data.draw(st.integers(0, 40))
    junk = data.draw(st.binary(max_size=40) | st.sampled_from([b"{", b"}", b"nan", b"1e999"]))
    damaged = source[:start] + junk + source[start + length :]
    with contextlib.suppress(ValidationError):  # 422, 413 or 415: never anything else
        parse_bvh(damaged)


def test_the_sample_is_a_four_second_dance() -> None:
    motion = read_bvh(SAMPLE)
    assert sniff(SAMPLE.read_bytes()[:64]) == BVH
    assert (motion.frame_count, round(motion.fps), len(motion.joints)) == (120, 30, 19)
    assert motion.duration_seconds == pytest.approx(4.0, abs=0.01)


def _sample_with(frames: str, frame_time: str = "0.033333") -> bytes:
    head = SAMPLE.read_bytes().split(b"MOTION")[0]
    return head + f"MOTION\nFrames: {frames}\nFrame Time: {frame_time}\n".encode()


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (b"HELLO\n", UnsupportedMediaError, "not a BVH"),
        (b"HIERARCHY\nROOT a\n{\n OFFSET 0 0 0\n CHANNELS 0\n}\n", ValidationError, "MOTION"),
        (_sample_with("100000"), PayloadTooLargeError, "frames, more than the limit"),
        (_sample_with("2400"), PayloadTooLargeError, "longer than the limit"),
        (_sample_with("2", "0"), ValidationError, "frame time"),
        (_sample_with("2"), ValidationError, "declares 2 frames but has 0"),
        (_sample_with("0"), ValidationError, "no frames"),
    ],
)
def test_refusals_say_why(data: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        parse_bvh(data, MediaLimits(max_video_seconds=60))


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.bvh"
    path.write_bytes(SAMPLE.read_bytes())
    with pytest.raises(PayloadTooLargeError):
        read_bvh(path, MediaLimits(max_bytes=1000))


def test_a_skeleton_with_too_many_joints_is_refused() -> None:
    joints = "".join(f"JOINT j{i}\n{{\nOFFSET 0 1 0\nCHANNELS 1 Xrotation\n" for i in range(300))
    text = "HIERARCHY\nROOT r\n{\nOFFSET 0 0 0\nCHANNELS 0\n" + joints + "}\n" * 301
    with pytest.raises(PayloadTooLargeError, match="joints"):
        parse_bvh((text + "MOTION\nFrames: 1\nFrame Time: 0.1\n0\n").encode())


def test_motion_properties() -> None:
    motion = Motion((), 0.04, np.zeros((50, 3)))
    assert (motion.frame_count, motion.fps, motion.duration_seconds) == (50, 25.0, 2.0)


def test_hostile_shapes_are_refused_without_reading_them_whole() -> None:
    head = SAMPLE.read_bytes().split(b"MOTION")[0]
    blank = head + b"MOTION\nFrames: 1\nFrame Time: 0.04\n" + b"\n" * 30_000_000 + b"1 2\n"
    with pytest.raises(ValidationError, match="2 values in frame 1"):
        parse_bvh(blank)
    one_line = head + b"MOTION\nFrames: 1\nFrame Time: 0.04\n" + b"1 " * 10_000_000
    with pytest.raises(ValidationError, match="too long"):
        parse_bvh(one_line)
    padded = b"HIERARCHY\n" + b" " * 1_000_000 + b"\nMOTION\n"
    with pytest.raises(ValidationError, match="HIERARCHY section that is too long"):
        parse_bvh(padded)
