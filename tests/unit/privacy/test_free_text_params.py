"""A negative prompt follows the prompt: exported, expired, erased and audited with it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from reelvault.db.privacy_models import PrivacySecret
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.privacy.erase import erase_owner
from reelvault.privacy.export import export_bytes
from reelvault.privacy.privacy_audit import run_audit
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock

from .conftest import OpenRuntime

OWNER = "own_negative"
NEGATIVE = "no Periwinkle Narwhal, and nothing of jane.doe@example.com"
KEPT = "no Periwinkle Narwhal, and nothing of [EMAIL]"


def _job(runtime: Runtime) -> str:
    view = submit_job(
        runtime,
        JobRequest(
            prompt="a paper boat on a canal",
            engine="fake",
            width=16,
            height=16,
            fps=8,
            seconds=0.125,
            owner_id=OWNER,
            params={"negative_prompt": NEGATIVE},
        ),
    )
    assert Worker(runtime).run_once() == "completed"
    return view.id


def _exported_job(runtime: Runtime) -> dict[str, Any]:
    archive = zipfile.ZipFile(io.BytesIO(export_bytes(runtime, [OWNER])))
    (owner,) = json.loads(archive.read("data.json"))["owners"]
    (job,) = owner["jobs"]
    assert isinstance(job, dict)
    return job


def test_export_shows_the_kept_negative_prompt_redacted_until_the_prompt_expires(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("standard")
    _job(runtime)
    job = _exported_job(runtime)
    assert job["prompt"] == "a paper boat on a canal"
    assert job["params"]["negative_prompt"] == KEPT
    clock.advance(days=29)
    sweep(runtime)
    assert _exported_job(runtime)["params"]["negative_prompt"] == KEPT
    clock.advance(days=2)  # the prompt's 30 days are over: its negative prompt goes with it
    sweep(runtime)
    job = _exported_job(runtime)
    assert job["prompt"] is None
    assert "negative_prompt" not in job["params"]


def test_ephemeral_keeps_no_negative_prompt_after_the_job(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime("ephemeral")
    _job(runtime)
    job = _exported_job(runtime)
    assert job["prompt"] is None
    assert "negative_prompt" not in job["params"]


def test_erasure_shreds_the_negative_prompt_with_the_prompt(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime("library")
    _job(runtime)
    assert erase_owner(runtime, OWNER).objects_shredded >= 1
    with runtime.session() as session:  # the service's own keys (the audit chain's) stay
        own = set(session.scalars(select(PrivacySecret.object_id)))
    assert [oid for oid in runtime.vault.object_ids() if oid not in own] == []


def test_the_audit_finds_a_kept_negative_prompt_outside_the_vault(
    open_runtime: OpenRuntime, tmp_path: Path
) -> None:
    runtime = open_runtime("library")
    _job(runtime)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_text("INFO job finished\n")
    assert run_audit(runtime, log_dirs=[logs], grace=timedelta(0)).clean
    (logs / "app.log").write_text(f"DEBUG negative: {KEPT}\n")
    findings = run_audit(runtime, log_dirs=[logs], grace=timedelta(0)).findings
    assert {finding.kind for finding in findings} == {"prompt_text"}
