"""Where the dance engine's time goes, stage by stage, on one reference.

    python bench/dance_stages.py REFERENCE [--photo PHOTO] [--size 512]

Runs the ``puppet`` engine once, timing its stages (finding the person in the photo,
tracking the reference's dancer or reading a BVH file, rigging, rendering every frame)
and then ``encode_h264`` on the frames (in the job, encoding overlaps rendering in its
own thread). Wall-clock seconds, on whatever else the machine is doing: compare stages
within one run, not runs on different machines. For a sampling profile of the whole
command, native threads included: ``py-spy record --native --threads -- python -m
reelvault.cli.main dance ...``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import reelvault.engines.puppet.engine as puppet
from reelvault.engines.base import GenerationRequest
from reelvault.engines.puppet import PuppetEngine, PuppetParams
from reelvault.logs import configure_logging
from reelvault.media.encode import encode_h264
from reelvault.types import Task

PHOTO = Path(__file__).parents[1] / "tests" / "data" / "fullbody_yoga_beach.jpg"
STAGES = ("_find_person", "_track_dancer", "_motion_dancer", "_rig_person", "_choreography")


def _timed(times: dict[str, float], name: str, function: Callable[..., Any]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def _timed_frames(times: dict[str, float], name: str, function: Callable[..., Any]) -> Any:
    """A frame generator whose time inside ``next`` is counted (decoding)."""

    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        frames = function(*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                frame = next(frames)
            except StopIteration:
                return
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - start
            yield frame

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path)
    parser.add_argument("--photo", type=Path, default=PHOTO)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    configure_logging()
    times: dict[str, float] = {}
    start = time.perf_counter()
    import mediapipe  # noqa: F401  # type: ignore[import-untyped]

    imported = time.perf_counter() - start
    for name in STAGES:
        setattr(puppet, name, _timed(times, name, getattr(puppet, name)))
    puppet.Rig.render = _timed(times, "Rig.render", puppet.Rig.render)  # type: ignore[method-assign]
    decoding = "  of which decoding and scaling the reference"
    puppet.iter_video_frames = _timed_frames(times, decoding, puppet.iter_video_frames)
    with tempfile.TemporaryDirectory() as scratch:
        request = GenerationRequest(
            task=Task.DANCE,
            width=args.size,
            height=args.size,
            fps=30,
            seconds=60,
            seed=0,
            scratch_dir=Path(scratch),
            params=PuppetParams(),
            inputs={"image": args.photo, "reference_video": args.reference},
        )
        start = time.perf_counter()
        video = PuppetEngine().run(request, lambda fraction, stage: None)
        frames = list(video.frames)
        engine = time.perf_counter() - start
        start = time.perf_counter()
        encode_h264(
            iter(frames),
            Path(scratch) / "out.mp4",
            fps=video.fps,
            width=video.width,
            height=video.height,
        )
        times["encode_h264 (overlapped in a job)"] = time.perf_counter() - start
    seconds = len(frames) / video.fps
    print(f"{len(frames)} frames at {video.fps} fps = {seconds:.1f} s of video, {args.size}px")
    print(f"{imported:7.2f} s  (before the engine) import mediapipe")
    order = [*STAGES[:2], decoding, *STAGES[2:], "Rig.render"]
    for name in sorted(times, key=lambda n: order.index(n) if n in order else len(order)):
        print(f"{times[name]:7.2f} s  {100 * times[name] / engine:5.1f}% of the engine  {name}")
    print(f"{engine:7.2f} s  engine total ({seconds / engine:.2f}x real time, encoding excluded)")


if __name__ == "__main__":
    main()
