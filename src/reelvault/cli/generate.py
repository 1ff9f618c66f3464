"""``reelvault generate``: a prompt in, an MP4 out, through the same queue as the server."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from reelvault.cli.format import size as format_size
from reelvault.cli.format import when
from reelvault.cli.state import state_of
from reelvault.errors import ValidationError
from reelvault.jobs.service import (
    JobRequest,
    JobView,
    cancel_job,
    export_output,
    get_job,
    submit_job,
)
from reelvault.jobs.worker import Worker
from reelvault.privacy.sweeper import sweep
from reelvault.types import JobStatus, Task

SIZE_PATTERN = re.compile(r"^\s*(\d{1,5})\s*[xX\u00d7]\s*(\d{1,5})\s*$")


def parse_size(text: str) -> tuple[int, int]:
    match = SIZE_PATTERN.match(text)
    if match is None:
        raise ValidationError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 640x360", param="size")
    return int(match.group(1)), int(match.group(2))


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """``key=value`` pairs; values are JSON when they parse as JSON, else strings."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--param {pair!r} is not key=value", param="param")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params


def check_output_path(path: Path) -> Path:
    """Fail early, before any work, when the video could not be written there."""
    path = path.expanduser()
    if path.is_dir():
        raise ValidationError(f"output {path} is a directory; give a file name", param="output")
    if path.suffix.lower() != ".mp4":
        raise ValidationError(f"output {path} must end in .mp4", param="output")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(
            f"cannot create folder {path.parent}: {exc.strerror}", param="output"
        ) from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ValidationError(f"cannot write to folder {path.parent}", param="output")
    return path


def _wait_with_progress(state_console: Any, runtime: Any, job: JobView) -> JobView:
    columns = (
        TextColumn("[bold]{task.fields[stage]:<10}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=state_console, transient=False) as bar:
        task = bar.add_task("job", total=100, stage="queued")
        while True:
            job = get_job(runtime, job.id)
            bar.update(task, completed=job.progress, stage=job.stage)
            if job.status.is_terminal:
                return job
            time.sleep(0.1)


def generate(
    ctx: typer.Context,
    prompt: Annotated[str, typer.Argument(help="What the video should show.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the MP4 (folders are created).")
    ],
    seconds: Annotated[float, typer.Option(help="Length of the video in seconds.")] = 4.0,
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT, both even.")] = "640x360",
    fps: Annotated[int, typer.Option(help="Frames per second.")] = 24,
    seed: Annotated[
        int | None, typer.Option(help="Same seed + same prompt = same video. Random if unset.")
    ] = None,
    engine: Annotated[str, typer.Option(help="Engine to use (see `reelvault engines`).")] = (
        "procedural"
    ),
    param: Annotated[
        list[str] | None,
        typer.Option(help="Engine parameter as key=value, repeatable (e.g. camera=pan-left)."),
    ] = None,
) -> None:
    """Generate a video from a text prompt and write it as an H.264 MP4."""
    state = state_of(ctx)
    destination = check_output_path(output)
    width, height = parse_size(size)
    request = JobRequest(
        prompt=prompt,
        task=Task.TEXT_TO_VIDEO,
        engine=engine,
        width=width,
        height=height,
        fps=fps,
        seconds=seconds,
        seed=seed,
        params=parse_params(param or []),
    )
    runtime = state.runtime
    sweep(runtime)  # whatever expired since the last run goes first
    job = submit_job(runtime, request)
    stop = threading.Event()
    worker = threading.Thread(
        target=Worker(runtime).run_forever, args=(stop,), name="cli-worker", daemon=True
    )
    worker.start()
    try:
        job = _wait_with_progress(state.errors, runtime, job)
    except KeyboardInterrupt:
        cancel_job(runtime, job.id)
        while not get_job(runtime, job.id).status.is_terminal:
            time.sleep(0.1)
        state.errors.print(f"cancelled job {job.id}")
        raise typer.Exit(130) from None
    finally:
        stop.set()
        worker.join(timeout=60)
    if job.status is not JobStatus.COMPLETED:
        state.errors.print(
            f"[red]error:[/red] job {job.id} {job.status.value}: {job.error_message}"
        )
        raise typer.Exit(1)
    written = export_output(runtime, job.id, destination)
    now = runtime.clock()
    state.console.print(
        f"[green]saved[/green] {destination} ({format_size(written)}, "
        f"{job.width}x{job.height}, {job.fps} fps, {job.seconds:g} s, seed {job.seed})"
    )
    state.console.print(
        f"service copy: job {job.id}, deleted {when(job.output_expires_at, now)} "
        f"under the '{runtime.policy.name}' policy"
    )


__all__ = ["check_output_path", "generate", "parse_params", "parse_size"]
