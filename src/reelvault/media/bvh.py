"""BVH motion-capture files: parsed, checked against the upload limits, posed in 3D.

A BVH file is text: a ``HIERARCHY`` of joints (each with an offset from its parent and
the channels it moves by) and a ``MOTION`` table with one line of channel values per
frame. It is a common source of dance motion (mocap libraries, animation tools), and a
reference without a picture: no person is tracked, the joints are read as given.

Nothing here trusts the file: the content must start with ``HIERARCHY`` (the name and
the client's type are ignored), the frame count, joints, channels and length are
checked against :class:`~reelvault.media.validate.MediaLimits` before the frames are
read, and every value must be a finite number. Forward kinematics follows the format's
convention: a joint's local transform is its offset (plus its position channels) and
the rotations in the order its channels list them, angles in degrees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

import numpy as np
import numpy.typing as npt

from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationError
from reelvault.media.validate import MediaLimits

MAGIC = b"HIERARCHY"
MAX_JOINTS = 256
"""Joints (End Sites not counted) a skeleton may have: full-body mocap rigs with
fingers have about 60-100."""
MAX_NAME_CHARS = 100
MIN_FRAME_TIME = 1 / 1000
MAX_BYTES = 64 * 1024 * 1024
"""The most a BVH file may weigh (within the upload limit): 60 s of a 100-joint rig at
120 frames a second is about 30 MB of text."""
MAX_HIERARCHY_CHARS = 256 * 1024
_MAX_VALUE_CHARS = 32
_AXES = {"X": 0, "Y": 1, "Z": 2}
_CHANNELS = frozenset(f"{axis}{kind}" for axis in "XYZ" for kind in ("position", "rotation"))
_NAME = re.compile(r"[^\s{}]{1,100}")

Vector = tuple[float, float, float]


@dataclass(frozen=True)
class Joint:
    name: str
    parent: int
    """Index of the parent joint; -1 for the root."""
    offset: Vector
    channels: tuple[str, ...]
    end: Vector | None = None
    """The offset of the joint's End Site (the tip of a bone chain), if it has one."""


@dataclass(frozen=True)
class Motion:
    """A parsed BVH file: the skeleton and one row of channel values per frame."""

    joints: tuple[Joint, ...]
    frame_time: float
    frames: npt.NDArray[np.float64]  # (frame count, channel count)

    @property
    def frame_count(self) -> int:
        return int(self.frames.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    @property
    def duration_seconds(self) -> float:
        return self.frame_count * self.frame_time

    def depth(self, index: int) -> int:
        depth = 0
        while self.joints[index].parent >= 0:
            index = self.joints[index].parent
            depth += 1
        return depth


def _invalid(message: str) -> ValidationError:
    return ValidationError(f"the BVH file {message}", param="reference_video")


class _Tokens:
    """The words of the HIERARCHY section, one at a time."""

    def __init__(self, text: str) -> None:
        self.words = text.split()
        self.position = 0

    def next(self, what: str) -> str:
        if self.position >= len(self.words):
            raise _invalid(f"ends where {what} was expected")
        word = self.words[self.position]
        self.position += 1
        return word

    def expect(self, word: str) -> None:
        found = self.next(repr(word))
        if found != word:
            raise _invalid(f"has {found[:20]!r} where {word!r} was expected")

    def number(self) -> float:
        word = self.next("a number")
        try:
            value = float(word)
        except ValueError:
            raise _invalid(f"has {word[:20]!r} where a number was expected") from None
        if not math.isfinite(value):
            raise _invalid("has a number that is not finite")
        return value

    def vector(self) -> Vector:
        return (self.number(), self.number(), self.number())


def _parse_joint(tokens: _Tokens, parent: int, joints: list[Joint]) -> None:
    """One ``ROOT``/``JOINT`` block (its keyword already read), children included."""
    name = tokens.next("a joint name")
    if not _NAME.fullmatch(name):
        raise _invalid("has a joint name that is too long or empty")
    tokens.expect("{")
    tokens.expect("OFFSET")
    offset = tokens.vector()
    tokens.expect("CHANNELS")
    count_word = tokens.next("a channel count")
    if not count_word.isdigit() or int(count_word) > 6:
        raise _invalid(f"has {count_word[:20]!r} channels; a joint has 0 to 6")
    channels = tuple(tokens.next("a channel name") for _ in range(int(count_word)))
    unknown = [c for c in channels if c not in _CHANNELS]
    if unknown or len(set(channels)) != len(channels):
        raise _invalid("has a channel that is not X/Y/Z position or rotation, or repeated")
    index = len(joints)
    if index >= MAX_JOINTS:
        raise PayloadTooLargeError(f"the BVH skeleton has more than {MAX_JOINTS} joints")
    joints.append(Joint(name, parent, offset, channels))
    while True:
        word = tokens.next("JOINT, End Site or '}'")
        if word == "}":
            return
        if word == "JOINT":
            _parse_joint(tokens, index, joints)
        elif word == "End":
            tokens.expect("Site")
            tokens.expect("{")
            tokens.expect("OFFSET")
            end = tokens.vector()
            tokens.expect("}")
            if joints[index].end is None:
                joints[index] = replace(joints[index], end=end)
        else:
            raise _invalid(f"has {word[:20]!r} where JOINT, End Site or '}}' was expected")


def _header_value(line: str, label: str) -> str:
    key, _, value = line.partition(":")
    if " ".join(key.split()).lower() != label.lower():
        raise _invalid(f"has no {label!r} line after MOTION")
    return value.strip()


def _motion_header(lines: Iterator[str], limits: MediaLimits) -> tuple[int, float]:
    """The frame count and frame time, checked against the limits."""
    header = list(islice(lines, 2))
    if len(header) < 2:
        raise _invalid("has no 'Frames:' and 'Frame Time:' lines after MOTION")
    frames_text = _header_value(header[0], "Frames")
    time_text = _header_value(header[1], "Frame Time")
    if not frames_text.isdigit() or int(frames_text) < 1:
        raise _invalid("declares no frames")
    frame_count = int(frames_text)
    try:
        frame_time = float(time_text)
    except ValueError:
        raise _invalid("has a frame time that is not a number") from None
    if not math.isfinite(frame_time) or frame_time < MIN_FRAME_TIME or frame_time > 1.0:
        raise _invalid(f"has a frame time of {time_text[:20]}; it must be 0.001 to 1 s")
    if frame_count > limits.max_video_frames:
        raise PayloadTooLargeError(
            f"the BVH file has {frame_count} frames, more than the limit of "
            f"{limits.max_video_frames}"
        )
    if frame_count * frame_time > limits.max_video_seconds + 0.05:
        raise PayloadTooLargeError(
            f"the BVH motion lasts {frame_count * frame_time:.1f} s, longer than the limit "
            f"of {limits.max_video_seconds:g} s"
        )
    return frame_count, frame_time


def _frame_rows(lines: Iterator[str], frame_count: int, channels: int) -> npt.NDArray[np.float64]:
    """The frame table, read a line at a time (blank lines skipped)."""
    frames = np.empty((frame_count, channels), np.float64)
    index = 0
    for line in lines:
        if not line.strip():
            continue
        if index == frame_count:
            raise _invalid(f"declares {frame_count} frames but has more")
        if len(line) > channels * _MAX_VALUE_CHARS:
            raise _invalid(f"has a frame line that is too long (frame {index + 1})")
        values = line.split()
        if len(values) != channels:
            raise _invalid(
                f"has {len(values)} values in frame {index + 1}; the skeleton has {channels}"
            )
        try:
            frames[index] = [float(value) for value in values]
        except ValueError:
            raise _invalid(f"has a value that is not a number in frame {index + 1}") from None
        index += 1
    if index != frame_count:
        raise _invalid(f"declares {frame_count} frames but has {index}")
    if not np.isfinite(frames).all():
        raise _invalid("has a value that is not finite")
    return frames


def _lines(text: str, start: int) -> Iterator[str]:
    """The lines of ``text`` from ``start``, one at a time (no copy of the whole)."""
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end].rstrip("\r")
        start = end + 1


def parse_bvh(data: bytes, limits: MediaLimits | None = None) -> Motion:
    """Parse a BVH file's bytes. Raises :class:`ValidationError` (or a subclass: 415 for
    content that is not BVH, 413 past the limits) for anything else."""
    limits = limits or MediaLimits()
    if len(data) > max_bytes(limits):
        raise PayloadTooLargeError(
            f"the BVH file has {len(data)} bytes, more than the limit of {max_bytes(limits)}"
        )
    if not is_bvh(data[:64]):
        raise UnsupportedMediaError("the file is not a BVH motion file (no HIERARCHY)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid("is not text") from None
    motion_at = text.find("\nMOTION", 0, MAX_HIERARCHY_CHARS + 1)
    if motion_at < 0:
        raise _invalid(
            "has no MOTION section"
            if "\nMOTION" not in text
            else "has a HIERARCHY section that is too long"
        )
    tokens = _Tokens(text[:motion_at])
    tokens.expect("HIERARCHY")
    tokens.expect("ROOT")
    joints: list[Joint] = []
    _parse_joint(tokens, -1, joints)
    if tokens.position != len(tokens.words):
        raise _invalid("has more than one ROOT, or text after its skeleton")
    lines = _lines(text, motion_at + len("\nMOTION"))
    next(lines)  # the rest of the MOTION line
    frame_count, frame_time = _motion_header(lines, limits)
    channels = sum(len(joint.channels) for joint in joints)
    if channels == 0:
        raise _invalid("has a skeleton that does not move (no channels)")
    frames = _frame_rows(lines, frame_count, channels)
    return Motion(tuple(joints), frame_time, frames)


def max_bytes(limits: MediaLimits) -> int:
    return min(limits.max_bytes, MAX_BYTES)


def is_bvh(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a BVH file (its first word HIERARCHY)."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(MAGIC)


def read_bvh(path: Path, limits: MediaLimits | None = None) -> Motion:
    """Parse the BVH file at ``path``, its size checked before it is read."""
    limits = limits or MediaLimits()
    size = Path(path).stat().st_size
    if size > max_bytes(limits):
        raise PayloadTooLargeError(
            f"the BVH file has {size} bytes, more than the limit of {max_bytes(limits)}"
        )
    return parse_bvh(Path(path).read_bytes(), limits)


def _rotations(axis: str, degrees: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(n, 3, 3) rotation matrices about one axis."""
    radians = np.radians(degrees)
    cos, sin = np.cos(radians), np.sin(radians)
    matrices = np.zeros((len(degrees), 3, 3), np.float64)
    a = _AXES[axis]
    b, c = (a + 1) % 3, (a + 2) % 3
    matrices[:, a, a] = 1.0
    matrices[:, b, b] = cos
    matrices[:, c, c] = cos
    matrices[:, b, c] = -sin
    matrices[:, c, b] = sin
    return matrices


def world_positions(
    motion: Motion,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Forward kinematics: every joint's position in every frame ``(n, joints, 3)``, and
    the position of each joint's End Site (NaN for a joint without one)."""
    count, total = motion.frame_count, len(motion.joints)
    positions = np.zeros((count, total, 3), np.float64)
    ends = np.full((count, total, 3), np.nan, np.float64)
    orientations = np.zeros((count, total, 3, 3), np.float64)
    column = 0
    for index, joint in enumerate(motion.joints):
        translation = np.tile(np.asarray(joint.offset, np.float64), (count, 1))
        rotation = np.tile(np.eye(3), (count, 1, 1))
        for channel in joint.channels:
            values = motion.frames[:, column]
            column += 1
            if channel.endswith("position"):
                translation[:, _AXES[channel[0]]] += values
            else:
                rotation = rotation @ _rotations(channel[0], values)
        if joint.parent < 0:
            positions[:, index] = translation
            orientations[:, index] = rotation
        else:
            parent_rotation = orientations[:, joint.parent]
            moved = np.einsum("nij,nj->ni", parent_rotation, translation)
            positions[:, index] = positions[:, joint.parent] + moved
            orientations[:, index] = parent_rotation @ rotation
        if joint.end is not None:
            tip = np.einsum("nij,j->ni", orientations[:, index], np.asarray(joint.end))
            ends[:, index] = positions[:, index] + tip
    return positions, ends


__all__ = [
    "MAGIC",
    "MAX_JOINTS",
    "Joint",
    "Motion",
    "is_bvh",
    "max_bytes",
    "parse_bvh",
    "read_bvh",
    "world_positions",
]
