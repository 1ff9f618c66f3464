"""Helpers shared by the provenance tests: decode, attack (re-encode, scale, crop), remux."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

from reelvault.media.encode import encode_h264

DATA = Path(__file__).parents[3] / "data"
DANCE = DATA / "SYNTHETIC_dance_moves_576.mp4"
SQUATS = DATA / "squats_woman_720x1280_5fps.mp4"


def read_frames(path: Path, limit: int | None = None) -> list[np.ndarray]:
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if limit is not None and len(frames) >= limit:
                break
    return frames


def write(frames: list[np.ndarray], path: Path, *, crf: int = 20, fps: int = 24) -> Path:
    height, width = frames[0].shape[:2]
    encode_h264(frames, path, fps=fps, width=width, height=height, crf=crf, preset="veryfast")
    return path


def attack(src: Path, dst: Path, *, crf: int, scale: float = 1.0, crop: float = 0.0) -> Path:
    """Re-encode ``src`` at ``crf`` after cropping ``crop`` of each side and scaling."""
    out = []
    for frame in read_frames(src):
        height, width = frame.shape[:2]
        dy, dx = int(height * crop / 2), int(width * crop / 2)
        image = frame[dy : height - dy, dx : width - dx]
        size = (int(image.shape[1] * scale) // 2 * 2, int(image.shape[0] * scale) // 2 * 2)
        resized = Image.fromarray(np.ascontiguousarray(image)).resize(
            size, Image.Resampling.BICUBIC
        )
        out.append(np.asarray(resized))
    return write(out, dst, crf=crf)


def remux(src: Path, dst: Path) -> Path:
    """Copy the video packets into a new MP4: the C2PA manifest (a uuid box) is dropped."""
    with av.open(str(src)) as source, av.open(str(dst), "w") as target:
        stream = target.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            target.mux(packet)
    return dst


def psnr(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    mse = float(np.mean([(x.astype(np.float64) - y) ** 2 for x, y in zip(a, b, strict=True)]))
    return 10 * np.log10(255.0**2 / mse)
