"""``reelvault models``: pull, list, remove and verify the diffusers engine's models.

Only ``pull`` uses the network. Everything else works on the local models folder
(``REELVAULT_MODELS_DIR``, default ``<data_dir>/models``).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Column, Table

from reelvault.cli.format import size as format_size
from reelvault.cli.state import state_of
from reelvault.engines.diffusers import cards, hub, recommend
from reelvault.engines.diffusers.catalogue import catalogue, find_model
from reelvault.errors import ValidationError

app = typer.Typer(help="Install and manage models for the diffusers engine.")


@app.command("pull")
def pull_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="A model id or Hugging Face repo id.")],
    endpoint: Annotated[
        str | None,
        typer.Option(help="A Hugging Face Hub mirror URL; default: HF_ENDPOINT or the Hub."),
    ] = None,
    accept_licence: Annotated[
        bool,
        typer.Option(
            "--accept-licence",
            help="Accept the model's licence when it is not an open-source one (pull names "
            "it and where to read it first).",
        ),
    ] = False,
) -> None:
    """Download a model (resumable; checks disk space first; pinned to one commit).

    Models under their own licence (LTX, CogVideoX 5B, NVIDIA, Tencent Hunyuan) are pulled
    only with --accept-licence; open-source ones (Apache-2.0, MIT) need nothing.
    """
    state = state_of(ctx)
    settings = state.settings
    spec = find_model(model, settings)

    def announce(snapshot: hub.RemoteSnapshot, need: int) -> None:
        state.console.print(
            f"pulling {spec.id} from {snapshot.repo} at {snapshot.commit[:12]}: "
            f"{len(snapshot.files)} files, {format_size(snapshot.total_bytes)} "
            f"({format_size(need)} to download) into {spec.folder(settings)}"
        )

    installed = hub.pull(
        spec, settings, endpoint=endpoint, on_checked=announce, accept_licence=accept_licence
    )
    state.console.print(
        f"[green]installed[/green] {installed.id} ({format_size(installed.bytes)}, "
        f"licence {installed.licence})"
    )


@app.command("list")
def list_command(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list catalogue models that are not installed.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Installed models with their size and licence (--all: the whole catalogue).

    VRAM is the catalogue's peak with every component on the GPU, with whose figure it
    is (the model card's, derived from it, or our estimate); --json adds the card.
    """
    state = state_of(ctx)
    settings = state.settings
    installed = {model.id: model for model in hub.installed_models(settings)}
    specs = [spec for spec in catalogue(settings) if show_all or spec.id in installed]
    rows = [
        {
            "id": spec.id,
            "installed": spec.id in installed,
            "bytes": installed[spec.id].bytes if spec.id in installed else None,
            "licence": spec.licence,
            "tasks": [task.value for task in spec.pipelines],
            "sizes": list(spec.sizes),
            "vram_gb": spec.vram_gb,
            "vram_gb_source": spec.card.vram_gb_source if spec.card is not None else None,
            "card": spec.card.model_dump() if spec.card is not None else None,
            "commit": installed[spec.id].commit if spec.id in installed else None,
            "source": spec.repo or str(spec.path),
        }
        for spec in specs
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        state.console.print(
            "no models installed; see `reelvault models list --all`, then "
            "`reelvault models pull ID`"
        )
        return
    table = Table(
        Column("id", no_wrap=True), "installed", "size", "licence", "tasks", "VRAM", "source"
    )
    for spec, row in zip(specs, rows, strict=True):
        size = row["bytes"]
        table.add_row(
            str(row["id"]),
            "yes" if row["installed"] else "no",
            format_size(int(size)) if isinstance(size, int) else "-",
            str(row["licence"]),
            ", ".join(row["tasks"]),  # type: ignore[arg-type]
            f"{spec.vram_gb:g} GB ({cards.figure_source(spec)})",
            str(row["source"]),
        )
    state.console.print(table)


@app.command("rm")
def rm_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model id to delete.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a pulled model's files."""
    state = state_of(ctx)
    spec = find_model(model, state.settings)
    if not yes and not typer.confirm(f"delete {spec.folder(state.settings)}?"):
        raise typer.Exit(1)
    freed = hub.remove(spec, state.settings)
    state.console.print(f"removed {spec.id} ({format_size(freed)} freed)")


@app.command("recommend")
def recommend_command(
    ctx: typer.Context,
    gpu_memory: Annotated[
        float | None,
        typer.Option(
            "--gpu-memory",
            min=0,
            help="GPU memory in GB (0: no GPU); default: the detected CUDA GPU's.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Which catalogue models fit this GPU (or --gpu-memory GB), and in which memory mode."""
    state = state_of(ctx)
    gpu_gb = gpu_memory if gpu_memory is not None else recommend.detected_gpu_gb()
    engines = ", ".join(recommend.CPU_ENGINES)
    if not gpu_gb:
        if as_json:
            typer.echo(json.dumps({"gpu_gb": None, "cpu_engines": list(recommend.CPU_ENGINES)}))
            return
        state.console.print(
            f"no CUDA GPU: the embedded engines ({engines}) are the CPU path and need no "
            "model download. The diffusers models run on a CPU only very slowly; pass "
            "--gpu-memory GB to see what a card would run."
        )
        return
    fits = recommend.recommend(catalogue(state.settings), gpu_gb)
    rows = [
        {
            "id": item.spec.id,
            "fits": item.mode is not None,
            "mode": item.mode,
            "need_gb": round(item.need_gb, 1),
            "vram_gb": item.spec.vram_gb,
            "tasks": [task.value for task in item.spec.pipelines],
        }
        for item in fits
    ]
    if as_json:
        typer.echo(json.dumps({"gpu_gb": gpu_gb, "models": rows}, indent=2))
        return
    state.console.print(f"GPU memory: {gpu_gb:g} GB")
    table = Table(Column("id", no_wrap=True), "fits", "memory mode", "needs", "tasks")
    for item in fits:
        table.add_row(
            item.spec.id,
            "yes" if item.mode is not None else "no",
            recommend.MODE_WORDS[item.mode] if item.mode is not None else "does not fit",
            f"{item.need_gb:.1f} GB",
            ", ".join(task.value for task in item.spec.pipelines),
        )
    state.console.print(table)
    state.console.print(
        f"The embedded engines ({engines}) need no GPU. Offload modes are chosen "
        "automatically from REELVAULT_VRAM_BUDGET_GB or the card's memory."
    )


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Argument(help="A model id; default: every installed model.")
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Check presence and sizes only, not SHA-256.")
    ] = False,
) -> None:
    """Check that a model's files are all there, with the sizes and hashes pulled."""
    state = state_of(ctx)
    settings = state.settings
    if model is not None:
        specs = [find_model(model, settings)]
    else:
        specs = [item.spec for item in hub.installed_models(settings) if item.spec is not None]
    if not specs:
        state.console.print("no models installed")
        return
    failed = []
    for spec in specs:
        report = hub.verify(spec, settings, hashes=not quick)
        if report.ok:
            state.console.print(
                f"[green]ok[/green] {spec.id}: {report.checked} files, {report.hashed} hashed"
            )
        else:
            failed.append(spec.id)
            for problem in report.problems:
                state.errors.print(f"[red]bad[/red] {spec.id}: {problem}")
    if failed:
        raise ValidationError(
            f"{', '.join(failed)} failed verification; pull again to repair "
            f"(`reelvault models pull {failed[0]}` resumes and refetches what is wrong)"
        )


__all__ = ["app"]
