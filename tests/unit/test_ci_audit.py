"""The CI dependency audit (.ci/audit.py, `make audit`): it says plainly when pip-audit's
vulnerability service cannot be reached and never fails the build for that; `.ci/run`
still ends with exactly the README's test command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / ".ci" / "audit.py"


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def service() -> Iterator[str]:
    """A stand-in for PyPI's JSON endpoint that answers (the probe succeeds)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
        daemon=True,
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/pypi/pip-audit/json"
    server.shutdown()


def _run(tmp_path: Path, probe: str, report: dict[str, object] | None = None, **env: str) -> Any:
    # A bin/ with our python and a pip-audit printing ``report``: the script runs the
    # pip-audit next to its interpreter, as in the project's .venv.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.symlink_to(sys.executable)
    fake = bin_dir / "pip-audit"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(report or {})}\nEOF\n")
    fake.chmod(0o755)
    return subprocess.run(
        [str(python), str(AUDIT)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REELVAULT_AUDIT_PROBE_URL": probe, **env},
        check=False,
    )


def test_an_unreachable_service_is_said_plainly_and_does_not_fail(tmp_path: Path) -> None:
    done = _run(tmp_path, "http://127.0.0.1:9/pypi/pip-audit/json")  # nothing listens
    assert done.returncode == 0
    assert "NOT RUN" in done.stdout and "not audited" in done.stdout


def test_every_package_not_found_counts_as_unreachable(tmp_path: Path, service: str) -> None:
    # What pip-audit reports behind a mirror without PyPI's per-version JSON.
    report = {
        "dependencies": [
            {"name": "fastapi", "version": "0.1", "skip_reason": "Dependency not found on PyPI"},
            {"name": "argon2-cffi", "version": "1", "skip_reason": "Dependency not found"},
        ]
    }
    done = _run(tmp_path, service, report)
    assert done.returncode == 0
    assert "NOT RUN" in done.stdout and "all 2 dependencies reported as not found" in done.stdout


def test_findings_are_listed_and_fail_only_when_strict(tmp_path: Path, service: str) -> None:
    report = {
        "dependencies": [
            {
                "name": "jinja2",
                "version": "2.4.1",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["3.1.5"]}],
            },
            {"name": "idna", "version": "3.10", "vulns": []},
        ]
    }
    advisory = _run(tmp_path / "a", service, report)
    assert advisory.returncode == 0
    assert "2 dependencies audited" in advisory.stdout
    assert "VULNERABLE jinja2 2.4.1: PYSEC-1 (fixed in 3.1.5)" in advisory.stdout
    strict = _run(tmp_path / "s", service, report, REELVAULT_AUDIT_STRICT="1")
    assert strict.returncode == 1


def test_ci_runs_the_audit_without_failing_then_exactly_the_readme_command() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert lines[-1] == "make test"
    assert "make test" in (ROOT / "README.md").read_text()
    audit = next(line for line in lines if line.startswith("make audit"))
    assert "||" in audit  # set -e: a failing audit step must not stop the build
    assert lines.index(audit) < len(lines) - 1
