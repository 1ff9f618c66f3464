"""``reelvault remix``, ``extend`` and ``edit``: a new video from a finished job.

The same as the API's remix, extension and edit (:mod:`reelvault.jobs.derive`), run here
through the same queue as ``reelvault generate``. The new job belongs to its source's
owner and records its source's id; the source is left as it is.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reelvault.cli.generate import OutputOption, check_output_path, wait_and_save
from reelvault.cli.state import state_of
from reelvault.engines.base import Derivation
from reelvault.errors import ValidationError
from reelvault.jobs.derive import DeriveAsk, prepare_derived
from reelvault.jobs.queries import get_job
from reelvault.jobs.submission import admit_and_store
from reelvault.privacy.sweeper import sweep

JobIdArgument = Annotated[str, typer.Argument(help="The finished job to start from.")]


def _derive(ctx: typer.Context, ask: DeriveAsk, output: OutputOption) -> None:
    state = state_of(ctx)
    destination = check_output_path(output)
    runtime = state.runtime
    sweep(runtime)  # whatever expired since the last run goes first
    made_as = get_job(runtime, ask.source_id).output_format  # the new video's too
    if destination.suffix.lower() != f".{made_as}":
        raise ValidationError(f"job {ask.source_id} made a .{made_as} video: -o x.{made_as}")
    stored = admit_and_store(runtime, [prepare_derived(runtime, ask)])[0]
    if isinstance(stored, Exception):
        raise stored
    wait_and_save(state, stored, destination)


def remix(
    ctx: typer.Context,
    job_id: JobIdArgument,
    prompt: Annotated[str, typer.Argument(help="What to change: 'at night', 'slow push in'.")],
    output: OutputOption,
    strength: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Video-to-video models only: how much of the source is made again "
            "(just above 0: nearly the source; 1: none of it kept; default 0.8).",
        ),
    ] = None,
) -> None:
    """Remix a finished job: its seed and composition (or photo, or for a video-to-video
    model its frames) with PROMPT's changes."""
    _derive(ctx, DeriveAsk(Derivation.REMIX, job_id, None, prompt, strength=strength), output)


def extend(
    ctx: typer.Context,
    job_id: JobIdArgument,
    output: OutputOption,
    seconds: Annotated[float, typer.Option(min=0.1, help="Seconds to add after its end.")] = 4.0,
    prompt: Annotated[
        str,
        typer.Option(help="What happens next (optional where the source's prompt is kept)."),
    ] = "",
) -> None:
    """Continue a finished job by --seconds, into one stitched video."""
    _derive(ctx, DeriveAsk(Derivation.EXTENSION, job_id, None, prompt, seconds=seconds), output)


def edit(
    ctx: typer.Context,
    job_id: JobIdArgument,
    prompt: Annotated[str, typer.Argument(help="The instruction: 'make it snowy'.")],
    output: OutputOption,
) -> None:
    """Edit a finished job following PROMPT (re-rendered, or for a video-to-video model
    made again from its frames)."""
    _derive(ctx, DeriveAsk(Derivation.EDIT, job_id, None, prompt), output)


__all__ = ["edit", "extend", "remix"]
