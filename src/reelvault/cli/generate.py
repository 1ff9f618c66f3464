"""``reelvault generate``: a prompt in, an MP4 out, through the same queue as the server."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from reelvault.cli.format import size as format_size
from reelvault.cli.format import when
from reelvault.cli.state import CliState, state_of
from reelvault.engines.procedural import ProceduralEngine
from reelvault.engines.registry import DEFAULT_ENGINES
from reelvault.errors import ValidationError
from reelvault.jobs.characters import find_for_job, with_character
from reelvault.jobs.lifecycle import cancel_job
from reelvault.jobs.queries import export_output, get_job
from reelvault.jobs.request import JobRequest, resolve_engine
from reelvault.jobs.submission import submit_job
from reelvault.jobs.uploads import UploadedInput, discard_uploads, store_upload
from reelvault.jobs.views import JobView
from reelvault.jobs.worker import Worker
from reelvault.media.sizes import parse_size
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER, JobStatus, Task


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
    if path.suffix.lower() not in (".mp4", ".webm"):
        raise ValidationError(f"output {path} must end in .mp4 or .webm", param="output")
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


def upload_file(runtime: Runtime, name: str, path: Path) -> UploadedInput:
    """Encrypt one of the user's files into the vault, as the API does with uploads."""
    path = path.expanduser()
    if not path.is_file():
        raise ValidationError(f"{name}: no such file {path}", param=name)
    limit = (
        runtime.settings.max_image_bytes if name == "image" else runtime.settings.max_video_bytes
    )

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk

    return store_upload(runtime, name, chunks(), max_bytes=limit)


def run_and_save(
    state: CliState,
    request: JobRequest,
    destination: Path,
    inputs: dict[str, Path] | None = None,
) -> None:
    """Queue the job, run it here with a progress bar, and write the MP4."""
    runtime = state.runtime
    sweep(runtime)  # whatever expired since the last run goes first
    uploads: list[UploadedInput] = []
    try:
        for name, path in (inputs or {}).items():
            uploads.append(upload_file(runtime, name, path))
    except BaseException:
        discard_uploads(runtime, uploads)
        raise
    if request.character is not None:
        request, uploads = with_character(runtime, request, uploads)
    wait_and_save(state, submit_job(runtime, request, uploads), destination)


def wait_and_save(state: CliState, job: JobView, destination: Path) -> None:
    """Run a queued job here with a progress bar, and write its video to ``destination``."""
    runtime = state.runtime
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
        state.errors.print(f"error: job {job.id} {job.status.value}: {job.error_message}")
        raise typer.Exit(1)
    written = export_output(runtime, job.id, destination)
    now = runtime.clock()
    width, height = job.output_width or job.width, job.output_height or job.height
    seconds = job.output_seconds if job.output_seconds is not None else job.seconds
    state.console.print(
        f"[green]saved[/green] {destination} ({format_size(written)}, "
        f"{width}x{height}, {seconds:.3g} s, seed {job.seed})"
    )
    state.console.print(
        f"service copy: job {job.id}, deleted {when(job.output_expires_at, now)} "
        f"under the '{runtime.policy.name}' policy"
    )


SizeOption = Annotated[str, typer.Option(help="WIDTHxHEIGHT, both even.")]
SeedOption = Annotated[
    int | None, typer.Option(help="Same seed + same inputs = same video. Random if unset.")
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(help="Engine parameter as key=value, repeatable (see `reelvault engines`)."),
]
LikenessOption = Annotated[
    bool,
    typer.Option(
        "--likeness-affirmed",
        help="Confirm you are the person in the photo or have their permission (needed "
        "when it shows a face; recorded in the consent ledger).",
    ),
]
CharacterOption = Annotated[
    str | None,
    typer.Option(
        help="A saved character (id or name, see `reelvault characters`) instead of --image; "
        "`@Name` in the prompt does the same."
    ),
]
OutputOption = Annotated[
    Path, typer.Option("--output", "-o", help="Where to write the MP4 (folders are created).")
]


def generate(
    ctx: typer.Context,
    output: OutputOption,
    prompt: Annotated[
        str | None, typer.Argument(help="What the video should show (optional with --image).")
    ] = None,
    image: Annotated[
        Path | None, typer.Option(help="Animate this photo (image→video) instead of text.")
    ] = None,
    motion: Annotated[
        str | None,
        typer.Option(
            help="Camera move for --image: push-in, pull-out, pan-left, pan-right, "
            "orbit, dolly-zoom."
        ),
    ] = None,
    seconds: Annotated[
        float | None, typer.Option(help="Length in seconds (default 4, or the model's).")
    ] = None,
    size: Annotated[
        str | None, typer.Option(help="WIDTHxHEIGHT, both even (default 640x360, or the model's).")
    ] = None,
    fps: Annotated[
        int | None, typer.Option(help="Frames per second (default 24, or the model's).")
    ] = None,
    seed: SeedOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            help=f"Engine (see `reelvault engines`); default {DEFAULT_ENGINES[Task.TEXT_TO_VIDEO]}"
            f", or {DEFAULT_ENGINES[Task.IMAGE_TO_VIDEO]} with --image."
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="Model id, e.g. reelvault-procedural or an installed model.")
    ] = None,
    param: ParamOption = None,
    likeness_affirmed: LikenessOption = False,
    character: CharacterOption = None,
) -> None:
    """Generate a video from a text prompt or a photo: H.264 MP4, or VP9 WebM for -o x.webm."""
    state = state_of(ctx)
    destination = check_output_path(output)
    if character is None and image is None:
        # "@Name" in the prompt: the saved character's picture, so image→video.
        found = find_for_job(state.runtime, LOCAL_OWNER, reference=None, prompt=prompt)
        character = found.id if found is not None else None
    pictured = image is not None or character is not None
    task = Task.IMAGE_TO_VIDEO if pictured else Task.TEXT_TO_VIDEO
    params = parse_params(param or [])
    if motion is not None:
        params["motion"] = motion
    engine_name, extra = resolve_engine(state.runtime, task=task, engine=engine, model=model)
    default_size, default_fps, default_seconds = (640, 360), 24, 4.0
    if "model" in extra:
        # A neural model has sizes and rates it was trained for: use them unless told.
        hosted = state.runtime.registry.get(engine_name).model_defaults(str(extra["model"]))
        default_size = hosted.size or default_size
        default_fps = hosted.fps or default_fps
        default_seconds = hosted.seconds or default_seconds
    width, height = parse_size(size) if size is not None else default_size
    request = JobRequest(
        prompt=prompt,
        task=task,
        engine=engine_name,
        width=width,
        height=height,
        fps=fps if fps is not None else default_fps,
        seconds=seconds if seconds is not None else default_seconds,
        seed=seed,
        params={**params, **extra},
        output_format=destination.suffix.lower().lstrip("."),
        likeness_affirmed=likeness_affirmed,
        character=character,
    )
    run_and_save(state, request, destination, {"image": image} if image is not None else None)
    if engine_name == ProceduralEngine.name and prompt:
        print_prompt_words(state, prompt)


def print_prompt_words(state: CliState, prompt: str) -> None:
    """The preview engine's last lines: the words it drew and those it left out."""
    words = ProceduralEngine.prompt_words(prompt)
    drawn = ", ".join(words.drawn) or "nothing named in the prompt"
    state.console.print(f"drawn: {drawn}", markup=False)
    if words.not_drawn:
        state.console.print(
            f"not drawn (not understood, left out): {', '.join(words.not_drawn)}",
            markup=False,
        )
    else:
        state.console.print("not drawn: none, every word was understood", markup=False)


def dance(
    ctx: typer.Context,
    reference: Annotated[
        Path,
        typer.Option(
            help="A video of the dance to copy (its audio is kept), or a BVH "
            "motion-capture file (read at its own frame rate)."
        ),
    ],
    output: OutputOption,
    image: Annotated[
        Path | None, typer.Option(help="A full-body photo of the person who will dance.")
    ] = None,
    character: CharacterOption = None,
    size: SizeOption = "512x512",
    max_seconds: Annotated[
        float, typer.Option(help="Longest output; the reference's length otherwise.")
    ] = 20.0,
    seed: SeedOption = None,
    mirror: Annotated[bool, typer.Option(help="Mirror the dancer's moves.")] = False,
    side_by_side: Annotated[
        bool, typer.Option(help="Show the reference beside the result (a preview).")
    ] = False,
    engine: Annotated[
        str, typer.Option(help="Dance engine (see `reelvault engines`).")
    ] = DEFAULT_ENGINES[Task.DANCE],
    param: ParamOption = None,
    likeness_affirmed: LikenessOption = False,
) -> None:
    """Make the person in a photo dance like the person in a reference video (or BVH file)."""
    if (image is None) == (character is None):
        raise ValidationError("give the dancer as --image PHOTO or --character NAME", param="image")
    state = state_of(ctx)
    destination = check_output_path(output)
    width, height = parse_size(size)
    params = parse_params(param or [])
    if mirror:
        params["mirror"] = True
    if side_by_side:
        params["side_by_side"] = True
    request = JobRequest(
        task=Task.DANCE,
        engine=engine,
        width=width,
        height=height,
        fps=30,
        seconds=max_seconds,
        seed=seed,
        params=params,
        output_format=destination.suffix.lower().lstrip("."),
        likeness_affirmed=likeness_affirmed,
        character=character,
    )
    inputs = {"reference_video": reference} | ({"image": image} if image is not None else {})
    run_and_save(state, request, destination, inputs)


__all__ = [
    "CharacterOption",
    "LikenessOption",
    "check_output_path",
    "dance",
    "generate",
    "parse_params",
    "run_and_save",
    "upload_file",
    "wait_and_save",
]
