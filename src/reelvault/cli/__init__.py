"""The reelvault command line (Typer)."""
