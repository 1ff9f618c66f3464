"""Decode a video as a stream of upright RGB frames at a constant frame rate.

Constant memory: at most one decoded frame is held besides the one being handed out.
Variable frame rate is normalised by sampling the video at ``k / fps`` seconds and
showing, as a player does, the last frame whose timestamp is not later than that
instant (frames are repeated or dropped as needed). Rotation metadata is applied and
any pixel format FFmpeg decodes (10-bit HDR included) arrives as 8-bit RGB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
import numpy.typing as npt

from reelvault.errors import UnsupportedMediaError
from reelvault.media.containers import open_input

Frame = npt.NDArray[np.uint8]

_EPSILON = 1e-6


def _rotate(pixels: Frame, rotation: int) -> Frame:
    if rotation == 90:
        return np.ascontiguousarray(np.rot90(pixels, k=-1))
    if rotation == 180:
        return np.ascontiguousarray(pixels[::-1, ::-1])
    if rotation == 270:
        return np.ascontiguousarray(np.rot90(pixels, k=1))
    return pixels


def _display_rotation(frame: av.VideoFrame) -> int:
    angle = float(getattr(frame, "rotation", 0) or 0)
    return round(-angle / 90.0) % 4 * 90


def iter_video_frames(
    path: Path | BinaryIO,
    *,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    max_frames: int | None = None,
    max_seconds: float | None = None,
    skip_frames: int = 0,
) -> Iterator[Frame]:
    """Yield RGB uint8 frames ``(height, width, 3)`` of the first video stream.

    ``fps``: resample to this constant rate (None: every decoded frame, as stored).
    ``size``: ``(width, height)`` of the frames as displayed (after rotation), scaled by
    swscale while converting; None keeps the video's own size.
    ``max_frames`` / ``max_seconds``: stop early.
    ``skip_frames``: the first frames are decoded (to keep the timing) but neither
    converted nor yielded; ``max_frames`` still counts them.

    Raises :class:`UnsupportedMediaError` when the file cannot be decoded.
    """
    if fps is not None and fps <= 0:
        raise ValueError("fps must be positive")
    try:
        container = open_input(path)
    except av.FFmpegError:
        raise UnsupportedMediaError("the video is corrupt or truncated") from None
    try:
        if not container.streams.video:
            raise UnsupportedMediaError("the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        source_fps = float(rate) if rate else 30.0
        emitted = 0
        limit = max_frames if max_frames is not None else None
        if max_seconds is not None:
            by_time = int(np.ceil(max_seconds * (fps or source_fps) - _EPSILON))
            limit = by_time if limit is None else min(limit, by_time)

        def convert(frame: av.VideoFrame) -> Frame:
            rotation = _display_rotation(frame)
            if size is None:
                pixels = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
            else:
                width, height = size if rotation in (0, 180) else (size[1], size[0])
                scaled = frame.reformat(width=width, height=height, format="rgb24")
                pixels = np.asarray(scaled.to_ndarray(), dtype=np.uint8)
            return _rotate(pixels, rotation)

        start: float | None = None
        held: av.VideoFrame | None = None
        held_pixels: Frame | None = None
        held_time = 0.0
        index = 0
        try:
            for frame in container.decode(stream):
                stamp = float(frame.time) if frame.time is not None else index / source_fps
                index += 1
                if start is None:
                    start = stamp
                stamp -= start
                if fps is None:
                    if emitted >= skip_frames:
                        yield convert(frame)
                    emitted += 1
                    if limit is not None and emitted >= limit:
                        return
                    continue
                # Emit the held frame for every output instant before this frame's time.
                while held is not None and emitted / fps < stamp - _EPSILON:
                    if emitted >= skip_frames:
                        if held_pixels is None:
                            held_pixels = convert(held)
                        yield held_pixels
                    emitted += 1
                    if limit is not None and emitted >= limit:
                        return
                if stamp + _EPSILON < held_time:
                    continue  # a frame out of order (broken timestamps): keep the later one
                held, held_pixels, held_time = frame, None, stamp
        except av.FFmpegError:
            if held is None and emitted == 0:
                raise UnsupportedMediaError("the video is corrupt or truncated") from None
            # A truncated tail: keep what decoded, as players do.
        if fps is not None and held is not None:
            end = held_time + 1.0 / source_fps
            while emitted / fps < end - _EPSILON:
                if emitted >= skip_frames:
                    if held_pixels is None:
                        held_pixels = convert(held)
                    yield held_pixels
                emitted += 1
                if limit is not None and emitted >= limit:
                    return
        if emitted == 0:
            raise UnsupportedMediaError("the video stream could not be decoded")
    finally:
        container.close()


def count_resampled_frames(duration_seconds: float, fps: float) -> int:
    """How many frames :func:`iter_video_frames` yields for a video of that length."""
    return max(1, int(np.ceil(duration_seconds * fps - _EPSILON)))


__all__ = ["count_resampled_frames", "iter_video_frames"]
