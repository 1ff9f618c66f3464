"""Encode RGB frames to a WebM (VP9, ``yuv420p``, BT.709): the open-codec alternative to
the H.264 MP4 of :mod:`reelvault.media.encode`, played by Chromium and Firefox.

libvpx-vp9 (in PyAV's wheel) runs in constant-quality mode (``crf`` with ``b:v 0``), with
row multithreading and ``deadline=good`` at ``cpu-used`` 5 (the speed/size trade-off
libvpx recommends for on-demand encoding). Frames go through the same converter and
worker thread as the MP4 path. The output is video only: the dance reference's music is
kept in the MP4 path (AAC), which is the default output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import av

from reelvault.errors import EngineError, ValidationError
from reelvault.media.encode import (
    EncodedVideo,
    Frame,
    _feed,
    _Sink,
    configure_video_stream,
    whole_file_or_none,
)

VP9_CPU_USED = 5


def encode_webm(
    frames: Iterable[Frame],
    path: Path,
    *,
    fps: int,
    width: int,
    height: int,
    crf: int = 32,
    on_frame: Callable[[int], None] | None = None,
    overlap: bool = True,
) -> EncodedVideo:
    """Encode ``frames`` (RGB uint8, ``(height, width, 3)``) to a VP9 WebM at ``path``.

    ``crf`` is libvpx's 0-63 quality scale (32 looks like x264 CRF 20-23). Errors as
    :func:`reelvault.media.encode.encode_h264`; the partial file is removed on failure."""
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValidationError(
            f"size {width}x{height}: width and height must be positive and even (yuv420p)",
            param="size",
        )
    if fps <= 0:
        raise ValidationError(f"fps {fps} must be positive", param="fps")
    if not 0 <= crf <= 63:
        raise ValidationError(f"crf {crf} is out of range 0-63", param="crf")
    path = Path(path)
    count = 0
    with whole_file_or_none(path):
        container = av.open(str(path), mode="w", format="webm")
        try:
            stream = container.add_stream(
                "libvpx-vp9",
                rate=fps,
                options={
                    "crf": str(crf),
                    "b": "0",
                    "deadline": "good",
                    "cpu-used": str(VP9_CPU_USED),
                    "row-mt": "1",
                },
            )
            configure_video_stream(stream, width=width, height=height, fps=fps)
            sink = _Sink(stream, container, fps, None)
            count = _feed(frames, sink, width, height, on_frame, overlap)
            if count == 0:
                raise EngineError("no frames to encode")
            for packet in stream.encode(None):
                container.mux(packet)
        finally:
            container.close()
    return EncodedVideo(
        path=path,
        frame_count=count,
        fps=fps,
        width=width,
        height=height,
        duration_seconds=count / fps,
        bytes=path.stat().st_size,
    )


__all__ = ["encode_webm"]
