"""What reelvault adds on top of a diffusers pipeline call, measured in the same run.

    python bench/diffusers_overhead.py [--family wan] [--size 64x64] [--frames 17] [--steps 8]
                                       [--repeat 5]

A tiny randomly initialised pipeline of the family (Wan by default; also Sana-Video,
LTX-2, HunyuanVideo 1.5, SkyReels-V2 and Wan VACE) is built locally (no download) and
saved to a temporary folder. Three ways of making the same video (same prompt, size, frames,
steps, guidance, seed) are timed, alternating, ``--repeat`` times each. The best (minimum)
time of each is compared, as it is the least disturbed by other work on the machine;
medians are printed too:

* **direct**: the pipeline, already loaded, called by hand with the arguments the
  family module writes (no progress callback); frames converted to uint8 and encoded
  with ``encode_h264``. This is the reference.
* **engine**: ``DiffusersEngine.run`` (catalogue lookup, checks, warm pipeline cache,
  device lock, progress callback) plus the same encode.
* **job**: a whole job through reelvault: submit (prompt encrypted into the vault), a
  worker claims it, the runner calls the engine, encodes, makes a thumbnail, encrypts
  the output and completes the job in SQLite.

Goal (issue 8): overhead <= 5% + 150 ms, i.e. ``job <= 1.05 * direct + 0.150 s``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reelvault.app.compose import open_runtime

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.unit...tiny_models

import numpy as np
import torch
import yaml
from tests.unit.engines.diffusers import tiny_hunyuan, tiny_ltx2, tiny_models

from reelvault.config import Settings
from reelvault.engines.base import GenerationRequest, parse_params
from reelvault.engines.diffusers import DiffusersEngine
from reelvault.engines.diffusers.call import PipelineCall
from reelvault.engines.diffusers.engine import FAMILIES
from reelvault.engines.registry import load_registry
from reelvault.jobs.queries import get_job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.media.encode import encode_h264
from reelvault.testing import settings_for
from reelvault.types import JobStatus, Task

PROMPT = "a red fox running through snow"
FPS = 8
SEED = 3
GUIDANCE = 5.0
# family -> (tiny pipeline builder, text-to-video pipeline class)
BENCH_FAMILIES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "wan": (tiny_models.build_wan, "WanPipeline"),
    "sana": (tiny_models.build_sana, "SanaVideoPipeline"),
    "ltx2": (tiny_ltx2.build_ltx2, "LTX2Pipeline"),
    "hunyuan15": (tiny_hunyuan.build_hunyuan15_t2v, "HunyuanVideo15Pipeline"),
    "skyreels": (tiny_models.build_skyreels_df, "SkyReelsV2DiffusionForcingPipeline"),
    "wan_vace": (tiny_models.build_wan_vace, "WanVACEPipeline"),
}


def _no_step(_pipeline: Any, _step: int, _timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
    return tensors


def _catalogue(settings: Settings, folder: Path, family: str, size: str, frames: int) -> None:
    entry = {
        "id": "bench-model",
        "family": family,
        "pipelines": {"text_to_video": BENCH_FAMILIES[family][1]},
        "path": str(folder),
        "sizes": [size],
        "default_size": size,
        "max_frames": frames,
        "default_frames": frames,
        "fps": [FPS],
        "steps": 2,
        "guidance": GUIDANCE,
        "dtype": "float32",
        "vram_gb": 0.1,
        "licence": "bench",
    }
    settings.resolved_models_dir.mkdir(parents=True, exist_ok=True)
    (settings.resolved_models_dir / "models.yaml").write_text(yaml.safe_dump({"models": [entry]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="wan", choices=sorted(BENCH_FAMILIES))
    parser.add_argument("--size", default="64x64")
    parser.add_argument("--frames", type=int, default=17, help="a count the family makes")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    width, height = (int(part) for part in args.size.split("x"))
    seconds = args.frames / FPS

    import diffusers

    with tempfile.TemporaryDirectory(prefix="reelvault-bench-") as tmp:
        root = Path(tmp)
        build, pipeline_class = BENCH_FAMILIES[args.family]
        folder = build(root / args.family)
        settings = settings_for(root / "rv", device="cpu")
        _catalogue(settings, folder, args.family, args.size, args.frames)

        pipeline = getattr(diffusers, pipeline_class).from_pretrained(
            str(folder), dtype=torch.float32, local_files_only=True
        )
        pipeline.set_progress_bar_config(disable=True)

        def direct() -> None:
            prepared = FAMILIES[args.family].prepare(
                pipeline,
                PipelineCall(
                    pipeline_class=pipeline_class,
                    prompt=PROMPT,
                    negative_prompt="",
                    width=width,
                    height=height,
                    num_frames=args.frames,
                    fps=FPS,
                    steps=args.steps,
                    guidance=GUIDANCE,
                    generator=torch.Generator("cpu").manual_seed(SEED),
                    on_step_end=_no_step,
                ),
            )
            arguments = dict(prepared.arguments)
            arguments.pop("callback_on_step_end", None)
            # A per-call component (HunyuanVideo's guider) goes on the pipeline for good.
            for name, component in prepared.components.items():
                setattr(pipeline, name, component)
            output = pipeline(**arguments).frames[0]
            frames = ((np.clip(f, 0, 1) * 255 + 0.5).astype(np.uint8) for f in output)
            encode_h264(frames, root / "direct.mp4", fps=FPS, width=width, height=height)

        engine = DiffusersEngine(settings)

        def via_engine() -> None:
            request = GenerationRequest(
                task=Task.TEXT_TO_VIDEO,
                width=width,
                height=height,
                fps=FPS,
                seconds=seconds,
                seed=SEED,
                scratch_dir=root,
                prompt=PROMPT,
                params=parse_params(engine, {"model": "bench-model", "steps": args.steps}),
            )
            video = engine.run(request, lambda fraction, stage: None)
            encode_h264(video.frames, root / "engine.mp4", fps=FPS, width=width, height=height)

        registry = load_registry(settings, include_entry_points=False)
        if "diffusers" not in registry.names():
            registry.register(DiffusersEngine)
        runtime = open_runtime(settings, registry=registry)
        worker = Worker(runtime, worker_id="bench")

        def via_job() -> None:
            job = submit_job(
                runtime,
                JobRequest(
                    prompt=PROMPT,
                    task=Task.TEXT_TO_VIDEO,
                    engine="diffusers",
                    width=width,
                    height=height,
                    fps=FPS,
                    seconds=seconds,
                    seed=SEED,
                    params={"model": "bench-model", "steps": args.steps},
                ),
            )
            worker.run_once()
            view = get_job(runtime, job.id)
            if view.status is not JobStatus.COMPLETED:
                raise SystemExit(f"bench job ended {view.status}: {view.error_message}")

        ways: dict[str, Callable[[], None]] = {
            "direct": direct,
            "engine": via_engine,
            "job": via_job,
        }
        for run in ways.values():  # warm up: imports, pipeline cache, database, encoder
            run()
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.repeat):
            for name, run in ways.items():
                started = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - started)
        runtime.close()

    best: dict[str, Any] = {name: min(values) for name, values in times.items()}
    medians: dict[str, Any] = {name: statistics.median(values) for name, values in times.items()}
    reference = best["direct"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__} ({args.threads} threads), diffusers {diffusers.__version__}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"video: {width}x{height}, {args.frames} frames, {args.steps} steps, tiny {args.family} "
        "on CPU; "
        f"best and median of {args.repeat}"
    )
    for name in ways:
        overhead = best[name] - reference
        print(
            f"  {name:7s} best {best[name] * 1000:8.1f} ms  ratio {best[name] / reference:5.3f}"
            f"  overhead {overhead * 1000:+7.1f} ms  (median {medians[name] * 1000:.1f} ms)"
        )
    budget = 0.05 * reference + 0.150
    verdict = "met" if best["job"] - reference <= budget else "NOT met"
    print(f"goal: job overhead <= 5% + 150 ms = {budget * 1000:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
