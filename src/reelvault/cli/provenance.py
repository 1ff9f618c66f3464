"""``reelvault provenance``: set up content credentials and verify a file's provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from reelvault.cli.state import state_of
from reelvault.media.provenance.keys import init_provenance
from reelvault.media.provenance.verify import VerificationReport, verify_file

app = typer.Typer(help="Content credentials (C2PA) and the invisible watermark on outputs.")


@app.command("init")
def init(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing CA and signing certificate.")
    ] = False,
) -> None:
    """Create a local development CA and signing certificate (not trusted by others)."""
    state = state_of(ctx)
    written = init_provenance(state.settings, force=force)
    for path in written:
        state.console.print(f"wrote {path}")
    state.console.print(
        "The development CA is not trusted by verifiers: for public content, install a "
        "certificate from a C2PA trust-list CA as signing.pem / signing.key."
    )


def _human(report: VerificationReport) -> list[str]:
    lines = [f"media type:    {report.media_type}"]
    if report.manifest == "absent":
        lines.append("manifest:      none (no content credentials, or they were stripped)")
    else:
        verdict = "valid" if report.manifest == "valid" else "INVALID (tampered or broken)"
        lines.append(f"manifest:      {verdict}{'' if report.trusted else ', signer not trusted'}")
        lines.append(f"signer:        {report.signer or '?'} (issuer: {report.issuer or '?'})")
        lines.append(f"generator:     {report.claim_generator or '?'}")
        lines.append(f"source type:   {report.digital_source_type or '?'}")
        lines.append(f"engine/model:  {report.engine or '?'} / {report.model or '?'}")
        lines.append(f"created:       {report.created or '?'}")
        lines.append(f"actions:       {', '.join(report.actions) or '-'}")
        if report.failures:
            lines.append(f"failures:      {', '.join(report.failures)}")
    if report.watermark_checked:
        found = "detected" if report.watermark_found else "not detected"
        lines.append(f"watermark:     {found} (confidence {report.watermark_confidence:.2f})")
        if report.watermark_id:
            lines.append(f"watermark id:  {report.watermark_id}")
    lines.append(f"AI-generated:  {'yes' if report.ai_generated else 'not shown'}")
    lines += [f"note:          {note}" for note in report.notes]
    return lines


@app.command("verify")
def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="MP4, WebP, JPEG or PNG file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check a file's content credentials and invisible watermark."""
    state = state_of(ctx)
    report = verify_file(file, state.settings)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for line in _human(report):
            typer.echo(line)


__all__ = ["app"]
