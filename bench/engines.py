"""Embedded CPU engines and the H.264 encoder, against references measured in the same run.

    python bench/engines.py [--seconds 5] [--skip-ffmpeg] [--dance-only]

* **dance** (``puppet``) at 512x512 on the synthetic dance clip: frames per second and
  x real time, reading the reference and extracting its pose included (the engine's
  whole ``run`` plus iterating its frames; encoding excluded), then the same with
  ``encode_h264`` pulling the frames as a job does (goal >= 1.5x, issue 21).
* **livephoto** at 1280x720, 24 fps: x real time, rendering only and rendering plus
  encoding (encoder overlapped in its thread). Goal >= 2x.
* **encode**: ``encode_h264`` (preset medium, crf 20, 2 threads) against the ``ffmpeg``
  command line encoding the same raw RGB frames with the same preset, crf and threads.
  Goal >= 0.95x. Without ``ffmpeg`` on the PATH, that line says it was skipped.
* **moderation**: what screening adds to that livephoto job with the default moderators
  (the rule list on a prompt, decoding the photo and looking for a face), against the
  job's rendering time. Goal <= 5%.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from reelvault.config import load_settings
from reelvault.engines.base import GenerationRequest
from reelvault.engines.livephoto import LivePhotoEngine, LivePhotoParams
from reelvault.engines.puppet import PuppetEngine
from reelvault.media.encode import ENCODER_THREADS, encode_h264
from reelvault.media.faces import count_faces
from reelvault.media.validate import load_image
from reelvault.moderation import ModerationPipeline
from reelvault.types import Task

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
DANCE = DATA / "SYNTHETIC_dance_moves_576.mp4"


def machine() -> str:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.platform()} | {cpu} | {os.cpu_count()} CPUs"
    return f"{system} | Python {platform.python_version()}"


def bench_dance(scratch: Path) -> None:
    request = GenerationRequest(
        task=Task.DANCE,
        width=512,
        height=512,
        fps=30,
        seconds=60,
        seed=0,
        scratch_dir=scratch,
        inputs={"image": PHOTO, "reference_video": DANCE},
    )
    started = time.perf_counter()
    video = PuppetEngine().run(request, lambda fraction, stage: None)
    count = sum(1 for _ in video.frames)
    elapsed = time.perf_counter() - started
    realtime = count / video.fps / elapsed
    print(
        f"dance 512x512      {count} frames in {elapsed:.2f} s: {count / elapsed:.1f} fps, "
        f"{realtime:.2f}x real time (pose extraction included; goal >= 1.0x)"
    )
    started = time.perf_counter()
    video = PuppetEngine().run(request, lambda fraction, stage: None)
    encode_h264(
        video.frames, scratch / "dance.mp4", fps=video.fps, width=video.width, height=video.height
    )
    elapsed = time.perf_counter() - started
    print(
        f"dance 512x512      with encoding: {elapsed:.2f} s, "
        f"{count / video.fps / elapsed:.2f}x real time (goal >= 1.5x)"
    )


def bench_livephoto(scratch: Path, seconds: float) -> tuple[list[np.ndarray], float]:
    request = GenerationRequest(
        task=Task.IMAGE_TO_VIDEO,
        width=1280,
        height=720,
        fps=24,
        seconds=seconds,
        seed=0,
        scratch_dir=scratch,
        params=LivePhotoParams(motion="orbit"),
        inputs={"image": PHOTO},
    )
    engine = LivePhotoEngine()
    started = time.perf_counter()
    video = engine.run(request, lambda fraction, stage: None)
    frames = list(video.frames)
    render = time.perf_counter() - started
    print(
        f"livephoto 1280x720 {len(frames)} frames rendered in {render:.2f} s: "
        f"{seconds / render:.2f}x real time (analysis included; goal >= 2x)"
    )
    started = time.perf_counter()
    video = engine.run(request, lambda fraction, stage: None)
    encode_h264(video.frames, scratch / "live.mp4", fps=24, width=1280, height=720)
    both = time.perf_counter() - started
    print(
        f"livephoto 1280x720 rendered + encoded (medium) in {both:.2f} s: "
        f"{seconds / both:.2f}x real time"
    )
    return frames, render


def bench_moderation(scratch: Path, render_s: float) -> None:
    """The screening of an image->video job (jobs/screening.py) with the default
    moderators: the rule list on the prompt, the photo decoded, a face looked for."""
    settings = load_settings(None, data_dir=scratch / "data")
    moderation = ModerationPipeline(settings)
    prompt = "she turns her head and smiles, golden hour, gentle breeze in her hair"
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        moderation.assess_text(prompt)
        count_faces(load_image(PHOTO).pixels)
    per_job = (time.perf_counter() - started) / rounds
    print(
        f"moderation         {per_job * 1000:.1f} ms per image job (rules + face check): "
        f"{per_job / render_s * 100:.2f}% of the livephoto job above (goal <= 5%)"
    )


def bench_encode(scratch: Path, frames: list[np.ndarray], skip_ffmpeg: bool) -> None:
    height, width = frames[0].shape[:2]
    ours = []
    for _ in range(2):
        started = time.perf_counter()
        encode_h264(
            iter(frames),
            scratch / "ours.mp4",
            fps=24,
            width=width,
            height=height,
            preset="medium",
            crf=20,
        )
        ours.append(time.perf_counter() - started)
    ours_fps = len(frames) / min(ours)
    print(
        f"encode_h264        {len(frames)} frames {width}x{height}: {ours_fps:.1f} fps "
        f"(preset medium, crf 20, {ENCODER_THREADS} threads)"
    )
    ffmpeg = shutil.which("ffmpeg")
    if skip_ffmpeg or ffmpeg is None:
        print(
            "ffmpeg CLI         skipped: no `ffmpeg` on the PATH "
            "(apt-get install -y ffmpeg to compare)"
        )
        return
    raw = scratch / "frames.rgb"
    with raw.open("wb") as handle:
        for frame in frames:
            handle.write(frame.tobytes())
    theirs = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(
            [
                ffmpeg,
                "-v",
                "error",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-s",
                f"{width}x{height}",
                "-r",
                "24",
                "-i",
                str(raw),
                "-c:v",
                "libx264",
                "-preset",
                "medium",
                "-crf",
                "20",
                "-pix_fmt",
                "yuv420p",
                "-threads",
                str(ENCODER_THREADS),
                "-movflags",
                "+faststart",
                str(scratch / "ffmpeg.mp4"),
            ],
            check=True,
        )
        theirs.append(time.perf_counter() - started)
    theirs_fps = len(frames) / min(theirs)
    print(f"ffmpeg CLI         {theirs_fps:.1f} fps (same frames from a raw file, same settings)")
    print(f"encode ratio       {ours_fps / theirs_fps:.2f}x ffmpeg (goal >= 0.95x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--skip-ffmpeg", action="store_true")
    parser.add_argument("--dance-only", action="store_true")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        bench_dance(scratch)
        if args.dance_only:
            return
        frames, render_s = bench_livephoto(scratch, args.seconds)
        bench_moderation(scratch, render_s)
        bench_encode(scratch, frames, args.skip_ffmpeg)


if __name__ == "__main__":
    main()
