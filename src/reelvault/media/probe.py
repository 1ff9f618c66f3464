"""What a video file is: size, frame rate, length, codec (PyAV).

Small on purpose: full validation of uploads (limits, container allow-lists, decoding
every frame) belongs to input validation. Error messages never include the file's path
or contents, only what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from reelvault.errors import UnsupportedMediaError
from reelvault.media.containers import open_input

# Demuxers that read single still images: a photo is not a video.
_IMAGE_FORMATS = frozenset({"image2", "image2pipe"})


@dataclass(frozen=True)
class VideoInfo:
    """The first video stream of a file."""

    width: int
    height: int
    fps: float
    frame_count: int
    duration_seconds: float
    codec: str
    pix_fmt: str
    has_audio: bool


def probe_video(path: Path) -> VideoInfo:
    """Describe the video at ``path``.

    Opens the container, reads its first video stream's parameters and decodes the first
    frame (so a file whose header looks right but whose data is garbage is refused).
    Counts packets when the container does not record the number of frames.

    Raises :class:`FileNotFoundError` when there is no file, and
    :class:`UnsupportedMediaError` for anything that is not a decodable video.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError("no such video file")
    try:
        container = open_input(path)
    except av.FFmpegError:
        raise UnsupportedMediaError("the file is not a video in a format we can read") from None
    try:
        format_names = set(container.format.name.split(","))
        if format_names & _IMAGE_FORMATS or any(n.endswith("_pipe") for n in format_names):
            raise UnsupportedMediaError("the file is a still image, not a video")
        if not container.streams.video:
            raise UnsupportedMediaError("the file has no video stream")
        stream = container.streams.video[0]
        context = stream.codec_context
        if context is None:  # a codec FFmpeg has no decoder for (PyAV gives no context)
            raise UnsupportedMediaError("the video's codec is not one we can decode")
        if not context.width or not context.height:
            raise UnsupportedMediaError("the video stream has no frame size")
        codec = context.name
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        time_base = stream.time_base
        duration = (
            float(stream.duration * time_base)
            if stream.duration is not None and time_base is not None
            else None
        )
        frame_count = int(stream.frames or 0)
        has_audio = bool(container.streams.audio)

        try:
            first = next(container.decode(stream), None)
        except av.FFmpegError:
            first = None
        if first is None:
            raise UnsupportedMediaError("the video stream could not be decoded")
        pix_fmt = context.pix_fmt or first.format.name

        if frame_count <= 0:
            container.seek(0)
            frame_count = sum(
                1 for packet in container.demux(stream) if packet.size and packet.pts is not None
            )
        if duration is None or duration <= 0:
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif fps > 0:
                duration = frame_count / fps
            else:
                duration = 0.0
        if fps <= 0 and duration > 0:
            fps = frame_count / duration
    except av.FFmpegError:
        raise UnsupportedMediaError("the video is corrupt or truncated") from None
    finally:
        container.close()

    return VideoInfo(
        width=int(context.width),
        height=int(context.height),
        fps=fps,
        frame_count=frame_count,
        duration_seconds=float(duration),
        codec=str(codec),
        pix_fmt=str(pix_fmt),
        has_audio=has_audio,
    )


__all__ = ["VideoInfo", "probe_video"]
