"""The limits a video declares in its header, checked before the upload is stored.

A few kilobytes of MP4 can declare a 30000x30000 frame or hours of footage (a video
bomb). The workers check every video again when they decode it
(:func:`reelvault.media.validate.validate_video`); this check lets the API refuse such a
file at once (413, or 422 for too many streams or frames a second) instead of storing it
and failing the job later. It reads what the container says (sample tables, then
FFmpeg's stream parameters) and decodes no frame of its own. A file FFmpeg cannot open
is left to the workers' full check, which refuses it: this check only refuses what is
over the limits, with the same rules as the workers, so nothing it refuses would have
been accepted later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import av
from av.container import InputContainer

from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationError
from reelvault.media.containers import open_input
from reelvault.media.mp4_tables import check_sample_tables
from reelvault.media.sniff import MP4, QUICKTIME, SNIFF_BYTES, sniff
from reelvault.media.validate import MediaLimits, max_declared_samples


@dataclass(frozen=True)
class DeclaredVideo:
    """What a container says about its first video stream (0: it does not say)."""

    width: int
    height: int
    streams: int
    fps: float
    frames: int
    seconds: float


def _declared(container: InputContainer) -> DeclaredVideo | None:
    if not container.streams.video:
        return None
    stream = container.streams.video[0]
    context = stream.codec_context
    rate = stream.average_rate or stream.guessed_rate
    # The stream's own duration first, else the container's: as the workers' probe does.
    seconds = (
        float(stream.duration * stream.time_base)
        if stream.duration is not None and stream.time_base is not None
        else 0.0
    )
    if seconds <= 0 and container.duration is not None:
        seconds = container.duration / av.time_base
    return DeclaredVideo(
        width=int(context.width or 0) if context is not None else 0,
        height=int(context.height or 0) if context is not None else 0,
        streams=len(container.streams),
        fps=float(rate) if rate else 0.0,
        frames=int(stream.frames or 0),
        seconds=max(0.0, float(seconds)),
    )


def declared_video(source: BinaryIO, limits: MediaLimits | None = None) -> DeclaredVideo | None:
    """What the video in ``source`` declares, or None when FFmpeg cannot tell.

    Raises 413 (or 415 for a box structure past all reason) when an MP4/QuickTime file's
    sample tables declare more samples than ``limits`` allow: FFmpeg would allocate an
    index entry for each before anything else could be checked.
    """
    limits = limits or MediaLimits()
    source.seek(0)
    if sniff(source.read(SNIFF_BYTES)) in (MP4, QUICKTIME):
        check_sample_tables(source, max_declared_samples(limits))
    source.seek(0)
    try:
        with open_input(source) as container:
            return _declared(container)
    except Exception:  # a header FFmpeg cannot parse: the workers refuse it (never a 500)
        return None


def check_declared_video(source: BinaryIO, name: str, limits: MediaLimits | None = None) -> None:
    """Raise 413/422 (``param`` = ``name``) when the video in ``source`` declares more
    than ``limits`` allow: a longer side, more seconds or frames, more streams, a higher
    frame rate. Leaves ``source`` at an unknown position."""
    limits = limits or MediaLimits()
    try:
        declared = declared_video(source, limits)
    except (PayloadTooLargeError, UnsupportedMediaError) as exc:
        exc.param = name
        raise
    if declared is None:
        return
    if max(declared.width, declared.height) > limits.max_video_side:
        raise PayloadTooLargeError(
            f"{name} declares {declared.width}x{declared.height} pixels: its longer side "
            f"may be at most {limits.max_video_side}",
            param=name,
        )
    if declared.seconds > limits.max_video_seconds + 0.05:
        raise PayloadTooLargeError(
            f"{name} declares {declared.seconds:.1f} s: at most {limits.max_video_seconds:g} s",
            param=name,
        )
    if declared.frames > limits.max_video_frames:
        raise PayloadTooLargeError(
            f"{name} declares {declared.frames} frames: at most {limits.max_video_frames}",
            param=name,
        )
    if declared.streams > limits.max_streams:
        raise ValidationError(
            f"{name} has {declared.streams} streams: at most {limits.max_streams}", param=name
        )
    if declared.fps > limits.max_video_fps + 0.5:
        raise ValidationError(
            f"{name} declares {declared.fps:.1f} frames per second: at most "
            f"{limits.max_video_fps:g}",
            param=name,
        )


__all__ = ["DeclaredVideo", "check_declared_video", "declared_video"]
