"""A diffusers pipeline's output as the job's frames and sound, checked against the plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from reelvault.engines.base import Frame, VideoFrames
from reelvault.engines.diffusers.derived import SEAM_SECONDS, seam_fade
from reelvault.engines.diffusers.soundtrack import sample_rate, write_soundtrack
from reelvault.errors import EngineError


def to_uint8(frame: Any) -> Frame:
    array = np.asarray(frame, dtype=np.float32)
    converted: Frame = (np.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return converted


def video_frames(
    output: Any,
    pipeline: Any,
    *,
    expected: tuple[int, int, int],
    skip: int = 0,
    seam: Frame | None = None,
    fps: int,
    with_audio: bool,
    scratch_dir: Path,
    pipeline_class: str,
) -> VideoFrames:
    """The pipeline's output as frames for the encoder, checked against what was asked for.

    The first ``skip`` frames are not the job's (an extension's source part). With a
    ``seam`` (the frame the job's first follows, which the pipeline made again as its
    last skipped one), the first new frames are faded from it: see :func:`seam_fade`."""
    wanted, height, width = expected
    video = np.asarray(output.frames)[0]
    if video.ndim != 4 or video.shape[0] < skip + wanted or video.shape[1:3] != (height, width):
        raise EngineError(
            f"{pipeline_class} returned frames of shape {tuple(video.shape)}, expected "
            f"at least {skip + wanted} frames of {height}x{width}"
        )

    def made() -> Iterator[Frame]:
        for index in range(skip, skip + wanted):
            yield to_uint8(video[index])

    def stream() -> Iterator[Frame]:
        if seam is None or skip < 1:
            return made()
        remade = to_uint8(video[skip - 1])
        count = max(1, round(fps * SEAM_SECONDS))
        return seam_fade(made(), before=seam, remade=remade, count=count)

    audio = getattr(output, "audio", None)
    rate = sample_rate(pipeline)
    if audio is not None and rate and skip:
        # The sound of the skipped frames too: the job's starts where its frames do.
        audio = audio[..., round(skip / fps * rate) :]
    soundtrack = (
        write_soundtrack(audio, rate, wanted / fps, scratch_dir)
        if with_audio and audio is not None and rate
        else None
    )
    return VideoFrames(
        frames=stream(),
        frame_count=wanted,
        fps=fps,
        width=width,
        height=height,
        audio_path=soundtrack,
    )


__all__ = ["to_uint8", "video_frames"]
