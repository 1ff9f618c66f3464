"""A long prompt's cut-off tail reaches no log, no terminal and no file.

diffusers warns when a tokenizer truncates a prompt and quotes the part it cut off
(LTX keeps 128 tokens, CogVideoX the transformer's text length; the service accepts
2,000 characters). The job runs through the real queue, worker, engine and pipeline
loading, with logging configured as a worker process configures it, at DEBUG so that
everything that could be shown is.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelvault.app.compose import open_runtime
from reelvault.config import Settings
from reelvault.engines.diffusers import DiffusersEngine
from reelvault.engines.diffusers import engine as engine_module
from reelvault.engines.registry import load_registry
from reelvault.jobs.queries import get_job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.runtime import Runtime
from reelvault.types import JobStatus, Task
from tests.log_state import configured_logging
from tests.unit.engines.diffusers.tiny_models import LOG_CANARY

# ~1,500 characters of words the tiny tokenizer knows, then the canary: far past the
# 128 tokens LTX keeps and the 16 the tiny CogVideoX transformer takes.
LONG_PROMPT = ("a red fox running through the snow in a dark sea " * 30).strip()
PROMPT = f"{LONG_PROMPT} {LOG_CANARY}"


@pytest.fixture
def guarded_runtime(
    tiny_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Runtime]:
    # Temporary files land where the test can search them.
    scratch_tmp = tmp_path / "tmp"
    scratch_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_tmp))
    registry = load_registry(tiny_settings, include_entry_points=False)
    if "diffusers" not in registry.names():
        registry.register(DiffusersEngine)
    with configured_logging("DEBUG"):
        runtime = open_runtime(tiny_settings, registry=registry)
        try:
            yield runtime
        finally:
            runtime.close()


def _files_holding(root: Path, needle: bytes) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]


@pytest.mark.parametrize(
    ("model", "library_verbose"),
    [
        ("tiny-ltx", False),
        ("tiny-ltx", True),
        ("tiny-cogvideox", False),
        ("tiny-cogvideox", True),
        # Sana truncates without a warning, so there is no verbose case to exercise.
        ("tiny-sana", False),
    ],
    ids=lambda value: {False: "as-configured", True: "verbose"}.get(value, value),
)
def test_a_truncated_prompt_tail_is_in_no_log_stream_or_file(
    model: str,
    library_verbose: bool,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    guarded_runtime: Runtime,
    tiny_settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert 1400 < len(PROMPT) <= tiny_settings.max_prompt_chars
    caplog.set_level(logging.DEBUG)
    if library_verbose:
        # A library we failed to quiet: its warning is made, and the guard alone must
        # keep the quoted text out.
        import diffusers

        monkeypatch.setattr(engine_module, "quiet_loaded_libraries", lambda: None)
        diffusers.utils.logging.set_verbosity_warning()
        request.addfinalizer(diffusers.utils.logging.set_verbosity_error)
    job = submit_job(
        guarded_runtime,
        JobRequest(
            prompt=PROMPT,
            task=Task.TEXT_TO_VIDEO,
            engine="diffusers",
            width=32,
            height=32,
            fps=8,
            seconds=1.0,
            seed=3,
            params={"model": model, "steps": 1},
        ),
    )
    Worker(guarded_runtime, worker_id="test-worker").run_once()
    view = get_job(guarded_runtime, job.id)
    assert view.status is JobStatus.COMPLETED, view.error_message
    if library_verbose:
        withheld = [r for r in caplog.records if r.name.startswith("diffusers")]
        assert withheld, "diffusers did not warn: the guard was not exercised"

    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert LOG_CANARY not in logged
    out, err = capfd.readouterr()
    assert LOG_CANARY not in out
    assert LOG_CANARY not in err
    assert _files_holding(tmp_path, LOG_CANARY.encode()) == []
    scratch = tiny_settings.scratch_dir
    if scratch.is_dir() and not scratch.is_relative_to(tmp_path):
        assert _files_holding(scratch, LOG_CANARY.encode()) == []
