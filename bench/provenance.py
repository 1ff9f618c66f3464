"""Provenance cost and watermark robustness.

    .venv/bin/python bench/provenance.py [--clips N] [--keys K]

Prints: machine info; signing + watermarking time as a fraction of procedural
generation time (640x360, 4 s, 24 fps); PSNR of marked vs unmarked; detection rates
after re-encode (CRF 35), 0.5x downscale, 5% crop, and false positives on unmarked clips.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.media.provenance.clips import (  # noqa: E402
    DANCE,
    SQUATS,
    attack,
    psnr,
    read_frames,
    write,
)

from reelvault.config import load_settings  # noqa: E402
from reelvault.engines.base import GenerationRequest  # noqa: E402
from reelvault.engines.procedural import ProceduralEngine, ProceduralParams  # noqa: E402
from reelvault.media.encode import encode_h264  # noqa: E402
from reelvault.media.provenance import (  # noqa: E402
    ProvenanceClaims,
    Watermarker,
    detect_watermark,
    init_provenance,
    load_signer,
    new_video_id,
    sign_image,
    sign_video,
)
from reelvault.media.thumbnail import make_thumbnail  # noqa: E402
from reelvault.types import Task  # noqa: E402

PROMPTS = [
    "a red balloon over a calm sea at sunset",
    "a green car driving through a snowy city at night",
    "a yellow kite above a forest in the morning",
    "a blue boat on a lake under a cloudy sky",
    "a cat walking in a garden at noon",
    "fireworks over a city at night",
]
ATTACKS = {
    "crf20 (as made)": {"crf": 20},
    "crf35": {"crf": 35},
    "0.5x, crf23": {"crf": 23, "scale": 0.5},
    "0.5x, crf35": {"crf": 35, "scale": 0.5},
    "crop 5%, crf28": {"crf": 28, "crop": 0.05},
}


def generate(prompt: str, seed: int, scratch: Path, seconds: float = 4.0) -> list[np.ndarray]:
    request = GenerationRequest(
        task=Task.TEXT_TO_VIDEO,
        width=640,
        height=360,
        fps=24,
        seconds=seconds,
        seed=seed,
        scratch_dir=scratch,
        prompt=prompt,
        params=ProceduralParams(),
    )
    return list(ProceduralEngine().run(request, lambda fraction, stage: None).frames)


def cost(tmp: Path) -> None:
    settings = load_settings(data_dir=tmp / "data")
    init_provenance(settings)
    signer = load_signer(settings)
    assert signer is not None
    started = time.perf_counter()
    frames = generate(PROMPTS[0], 1, tmp)
    generation = time.perf_counter() - started
    marker = Watermarker(bytes(32))
    video_id = new_video_id()
    started = time.perf_counter()
    marked = [marker.embed(frame, index, video_id) for index, frame in enumerate(frames)]
    embed = time.perf_counter() - started
    path = tmp / "cost.mp4"
    started = time.perf_counter()
    encode_h264(marked, path, fps=24, width=640, height=360)
    encode = time.perf_counter() - started
    claims = ProvenanceClaims("procedural", "procedural-v1", "algorithmicMedia")
    started = time.perf_counter()
    sign_video(path, path, claims, signer)
    sign_image(make_thumbnail(marked[48]), "image/webp", claims, signer)
    signing = time.perf_counter() - started
    print(f"\n## Cost (procedural 640x360, 4 s, {len(frames)} frames)")
    print(
        f"generation {generation:.2f} s ({len(frames) / generation:.0f} fps), encode {encode:.2f} s"
    )
    print(f"watermark embed {embed * 1000:.0f} ms ({embed / len(frames) * 1000:.2f} ms/frame)")
    print(f"C2PA sign video + thumbnail {signing * 1000:.0f} ms")
    print(f"provenance / generation = {(embed + signing) / generation:.1%}  (goal <= 10%)")
    print(f"PSNR marked vs unmarked: {psnr(marked, frames):.1f} dB (goal >= 40)")


def robustness(tmp: Path, clips: int, keys: int) -> None:
    sources: list[tuple[str, list[np.ndarray], int]] = [
        (f"procedural:{i}", generate(PROMPTS[i % len(PROMPTS)], 100 + i, tmp), 24)
        for i in range(clips)
    ]
    sources.append(("dance (real file)", read_frames(DANCE), 30))
    sources.append(("squats (real file)", read_frames(SQUATS), 5))
    hits = {name: 0 for name in ATTACKS}
    false_pos = {name: 0 for name in ATTACKS}
    trials = 0
    scores: dict[str, list[float]] = {name: [] for name in ATTACKS}
    for label, frames, fps in sources:
        for key_index in range(keys):
            key = os.urandom(32)
            marker = Watermarker(key)
            video_id = new_video_id()
            marked = [marker.embed(frame, index, video_id) for index, frame in enumerate(frames)]
            m_path = write(marked, tmp / "m.mp4", fps=fps)
            c_path = write(frames, tmp / "c.mp4", fps=fps)
            trials += 1
            for name, params in ATTACKS.items():
                m = attack(m_path, tmp / "ma.mp4", **params)  # type: ignore[arg-type]
                c = attack(c_path, tmp / "ca.mp4", **params)  # type: ignore[arg-type]
                found = detect_watermark(m, key)
                hits[name] += found.found
                scores[name].append(found.score)
                false_pos[name] += detect_watermark(c, key).found
            print(
                f"  {label} key {key_index}: "
                + " ".join(f"{n.split(',')[0]}={s[-1]:.1f}" for n, s in scores.items()),
                flush=True,
            )
    print(f"\n## Watermark detection ({trials} marked + {trials} unmarked clips per attack)")
    print("| attack | detected (marked) | median score | false positives (unmarked) |")
    print("|---|---|---|---|")
    for name in ATTACKS:
        print(
            f"| {name} | {hits[name]}/{trials} ({hits[name] / trials:.0%}) | "
            f"{np.median(scores[name]):.1f} | {false_pos[name]}/{trials} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=4, help="procedural clips")
    parser.add_argument("--keys", type=int, default=1, help="keys per clip")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"numpy {np.__version__}, {platform.platform()}")
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        cost(tmp)
        robustness(tmp, args.clips, args.keys)


if __name__ == "__main__":
    main()
