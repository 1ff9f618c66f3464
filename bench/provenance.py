"""Provenance cost and watermark robustness.

    .venv/bin/python bench/provenance.py [--clips N] [--keys K] [--fp-keys F]

Prints: machine info; signing + watermarking time as a fraction of procedural
generation time (640x360, 4 s, 24 fps); PSNR of marked vs unmarked; detection rates
after re-encode (CRF 35), 0.5x downscale, 5% crop over procedural outputs (several
prompts and seeds) and the real clips (tests/data, ../shared/media/videos), each with
its own random keys, and false positives on the unmarked clips with many keys (the
score distribution printed at the end is what THRESHOLD is calibrated on).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = ROOT.parent / "shared" / "media" / "videos"
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
from reelvault.media.provenance.watermark import THRESHOLD  # noqa: E402
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
    video_id = new_video_id()
    started = time.perf_counter()
    marker = Watermarker(bytes(32))  # per job in the runner: its set-up counts
    marked = [marker.embed(frame, index, video_id) for index, frame in enumerate(frames)]
    embed = time.perf_counter() - started
    path = tmp / "cost.mp4"
    started = time.perf_counter()
    encode_h264(marked, path, fps=24, width=640, height=360)
    encode = time.perf_counter() - started
    claims = ProvenanceClaims("procedural", "procedural-v1", "algorithmicMedia")
    thumbnail = make_thumbnail(marked[48])  # made with or without provenance
    started = time.perf_counter()
    sign_video(path, path, claims, signer)
    sign_image(thumbnail, "image/webp", claims, signer)
    signing = time.perf_counter() - started
    print(f"\n## Cost (procedural 640x360, 4 s, {len(frames)} frames)")
    print(
        f"generation {generation:.2f} s ({len(frames) / generation:.0f} fps), encode {encode:.2f} s"
    )
    print(f"watermark embed {embed * 1000:.0f} ms ({embed / len(frames) * 1000:.2f} ms/frame)")
    print(f"C2PA sign video + thumbnail {signing * 1000:.0f} ms")
    print(f"provenance / generation = {(embed + signing) / generation:.1%}  (goal <= 10%)")
    print(f"PSNR marked vs unmarked: {psnr(marked, frames):.1f} dB (goal >= 40)")


def real_clips(limit: int = 96) -> list[tuple[str, list[np.ndarray], int]]:
    """The real clips of tests/data and ../shared/media/videos (first ``limit`` frames)."""
    found: dict[str, Path] = {path.name: path for path in (DANCE, SQUATS)}
    if SHARED_VIDEOS.is_dir():
        for path in sorted(SHARED_VIDEOS.glob("*.mp4")):
            found.setdefault(path.name, path)
    clips = []
    for name, path in sorted(found.items()):
        with av.open(str(path)) as container:
            fps = round(container.streams.video[0].average_rate or 24)
        clips.append((name, read_frames(path, limit), fps))
    return clips


def robustness(tmp: Path, clips: int, keys: int, fp_keys: int) -> None:
    sources: list[tuple[str, list[np.ndarray], int]] = [
        (f"procedural:{i}", generate(PROMPTS[i % len(PROMPTS)], 100 + i, tmp), 24)
        for i in range(clips)
    ]
    sources += real_clips()
    marked_scores: dict[str, list[float]] = {name: [] for name in ATTACKS}
    payloads: dict[str, int] = dict.fromkeys(ATTACKS, 0)
    clean_scores: dict[str, list[float]] = {name: [] for name in ATTACKS}
    psnrs: list[float] = []
    for label, frames, fps in sources:
        c_path = write(frames, tmp / "c.mp4", fps=fps)
        for name, params in ATTACKS.items():
            c = attack(c_path, tmp / "ca.mp4", **params)  # type: ignore[arg-type]
            # Unmarked: the attacked file does not depend on the key, so try many keys.
            for key_index in range(fp_keys):
                key = hashlib.sha256(f"fp {key_index}".encode()).digest()
                clean_scores[name].append(detect_watermark(c, key).score)
        for key_index in range(keys):
            key = hashlib.sha256(f"{label} {key_index}".encode()).digest()
            marker = Watermarker(key)
            video_id = new_video_id()
            marked = [marker.embed(frame, index, video_id) for index, frame in enumerate(frames)]
            psnrs.append(psnr(marked, frames))
            m_path = write(marked, tmp / "m.mp4", fps=fps)
            for name, params in ATTACKS.items():
                m = attack(m_path, tmp / "ma.mp4", **params)  # type: ignore[arg-type]
                found = detect_watermark(m, key)
                marked_scores[name].append(found.score)
                payloads[name] += found.payload == video_id
        print(
            f"  {label} ({frames[0].shape[1]}x{frames[0].shape[0]}, {len(frames)} frames): "
            + " ".join(f"{n.split(',')[0]}={s[-1]:.1f}" for n, s in marked_scores.items()),
            flush=True,
        )
    marked_n = len(sources) * keys
    clean_n = len(sources) * fp_keys
    print(f"\nPSNR marked vs unmarked: min {min(psnrs):.2f} dB, median {np.median(psnrs):.2f} dB")
    print(
        f"\n## Watermark detection, threshold {THRESHOLD} ({len(sources)} clips: {marked_n} "
        f"marked, {clean_n} unmarked clip x key pairs per attack)"
    )
    print(
        "| attack | detected (marked) | min / median score | payload read "
        "| false positives (unmarked) | max unmarked score |"
    )
    print("|---|---|---|---|---|---|")
    all_clean: list[float] = []
    for name in ATTACKS:
        hits = sum(score >= THRESHOLD for score in marked_scores[name])
        false = sum(score >= THRESHOLD for score in clean_scores[name])
        all_clean += clean_scores[name]
        print(
            f"| {name} | {hits}/{marked_n} ({hits / marked_n:.0%}) | "
            f"{min(marked_scores[name]):.1f} / {np.median(marked_scores[name]):.1f} | "
            f"{payloads[name]}/{marked_n} | {false}/{clean_n} ({false / clean_n:.1%}) | "
            f"{max(clean_scores[name]):.2f} |"
        )
    quantiles = np.quantile(all_clean, [0.5, 0.99, 0.999])
    print(
        f"\nunmarked scores over all attacks ({len(all_clean)}): median {quantiles[0]:.2f}, "
        f"99th percentile {quantiles[1]:.2f}, 99.9th {quantiles[2]:.2f}, max {max(all_clean):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=4, help="procedural clips")
    parser.add_argument("--keys", type=int, default=1, help="keys per clip (marked)")
    parser.add_argument("--fp-keys", type=int, default=10, help="keys per unmarked clip")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"numpy {np.__version__}, {platform.platform()}")
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        cost(tmp)
        robustness(tmp, args.clips, args.keys, args.fp_keys)


if __name__ == "__main__":
    main()
