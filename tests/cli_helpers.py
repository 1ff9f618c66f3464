"""Run the real ``reelvault`` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "reelvault.cli.main"]


def run_cli(
    *args: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("REELVAULT_")}
    full_env["REELVAULT_DATA_DIR"] = str(data_dir)
    full_env["COLUMNS"] = "200"  # rich tables: as wide as a roomy terminal
    full_env.update(env or {})
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        timeout=timeout,
        check=False,
    )
