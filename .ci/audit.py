"""Dependency audit: pip-audit over the virtualenv, when its vulnerability service answers.

Run by ``make audit`` (and so by ``.ci/run`` before the tests). Where the service cannot
be reached (no network, or a mirror that does not serve PyPI's per-version JSON, which
makes pip-audit report every package as "not found"), it says so plainly and exits 0:
an unreachable service never fails the build. Found vulnerabilities are listed; they
fail the step only with ``REELVAULT_AUDIT_STRICT=1`` (CI treats the step as advisory).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

PROBE_TIMEOUT_S = 5
AUDIT_TIMEOUT_S = 600
SOCKET_TIMEOUT_S = 10


def probe_url() -> str:
    # The endpoint pip-audit's default service ("pypi") asks for each dependency.
    override = os.environ.get("REELVAULT_AUDIT_PROBE_URL")
    return override or f"https://pypi.org/pypi/pip-audit/{version('pip-audit')}/json"


def unreachable(reason: str) -> int:
    print(
        "pip-audit: NOT RUN — the vulnerability service cannot be reached from here "
        f"({reason}); the dependencies were not audited. Run `make audit` where "
        "https://pypi.org answers (see docs/security.md). Not failing the build for this."
    )
    return 0


def main() -> int:
    url = probe_url()
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S) as answer:  # noqa: S310
            answer.read(1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return unreachable(f"{url}: {exc}")
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [
        str(pip_audit),
        "--format=json",
        "--progress-spinner=off",
        "--skip-editable",
        f"--timeout={SOCKET_TIMEOUT_S}",
    ]
    try:
        done = subprocess.run(  # noqa: S603 (our own venv's pip-audit)
            command, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return unreachable(f"no answer within {AUDIT_TIMEOUT_S} s")
    try:
        report = json.loads(done.stdout)
    except ValueError:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return unreachable(f"pip-audit exited {done.returncode}: {tail[0]}")
    dependencies = report.get("dependencies", [])
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    if not audited:
        return unreachable(f"all {len(dependencies)} dependencies reported as not found")
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    skipped = len(dependencies) - len(audited)
    print(f"pip-audit: {len(audited)} dependencies audited, {skipped} skipped.")
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            print(f"  VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if not vulnerable:
        print("pip-audit: no known vulnerabilities.")
        return 0
    strict = os.environ.get("REELVAULT_AUDIT_STRICT") == "1"
    print(f"pip-audit: {len(vulnerable)} vulnerable dependencies" + ("" if strict else " (advisory)"))
    return 1 if strict else 0


if __name__ == "__main__":
    sys.exit(main())
