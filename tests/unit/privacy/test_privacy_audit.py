"""``reelvault privacy audit``: clean after a 1,000-job run, and each violation kind caught."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update

from reelvault.db.models import Job, StoredObject
from reelvault.db.privacy_models import AuditEntry
from reelvault.jobs import objects
from reelvault.jobs.lifecycle import finish_job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.privacy import audit_log, privacy_audit
from reelvault.privacy.privacy_audit import KINDS, run_audit
from reelvault.runtime import Runtime
from reelvault.types import DataClass, JobStatus

from .api_helpers import IMAGE
from .conftest import OpenRuntime

PROMPT = "Marmalade comet number {i} drifting past a violet lighthouse"
NOW = timedelta(0)


def _finish_fast(runtime: Runtime, job_id: str) -> None:
    """The fast path: a tiny stored output instead of a real encode (same rows, same vault)."""
    now = runtime.clock()
    with runtime.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.status = JobStatus.IN_PROGRESS.value
        row = objects.new_object_row(
            job_id=job_id,
            kind=objects.OUTPUT_VIDEO,
            data_class=DataClass.OUTPUT,
            content_type="video/mp4",
            now=now,
        )
        objects.store_bytes(runtime.vault, row, b"\x00\x00\x00\x18ftypisom" + bytes(64))
        objects.apply_retention(row, policy=runtime.policy, now=now)
        session.add(row)
        session.flush()
        session.refresh(job)
        finish_job(runtime, session, job, JobStatus.COMPLETED, stage="completed")


def _run(runtime: Runtime, count: int, *, real: int) -> list[str]:
    ids = []
    for i in range(count):
        view = submit_job(
            runtime,
            JobRequest(
                prompt=PROMPT.format(i=i),
                engine="fake",
                width=16,
                height=16,
                fps=8,
                seconds=0.125,
                owner_id=f"own_{i % 7}",
            ),
        )
        ids.append(view.id)
    worker = Worker(runtime)
    for _ in range(real):
        assert worker.run_once() == "completed"
    with runtime.session() as session:
        queued = list(session.scalars(select(Job.id).where(Job.status == "queued")))
    assert len(queued) == count - real
    for job_id in queued:
        _finish_fast(runtime, job_id)
    return ids


@pytest.mark.slow
def test_clean_after_a_1000_job_run(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime("standard")
    _run(runtime, 1000, real=10)
    result = run_audit(runtime, grace=NOW)
    assert result.findings == []
    assert result.clean
    assert result.prompts_checked == 1000  # the kept, redacted copies
    assert result.vault_objects >= 2000


def _plant_ip(runtime: Runtime, logs: Path) -> None:
    (logs / "access.log").write_text("GET /api/v1/jobs 200 from 198.51.100.23\n")


def _plant_email(runtime: Runtime, logs: Path) -> None:
    with runtime.session() as session:
        session.execute(update(Job).values(error_message="write to bob.smith@example.com"))


def _plant_prompt(runtime: Runtime, logs: Path) -> None:
    (logs / "debug.log").write_text("rendering: " + PROMPT.format(i=1) + "\n")


def _plant_media(runtime: Runtime, logs: Path) -> None:
    shutil.copy(IMAGE, runtime.settings.data_dir / "leftover.jpg")


def _plant_expired(runtime: Runtime, logs: Path) -> None:
    with runtime.session() as session:
        object_id = session.scalars(select(StoredObject.id).limit(1)).one()
        session.execute(
            update(StoredObject)
            .where(StoredObject.id == object_id)
            .values(expires_at=runtime.clock() - timedelta(days=1))
        )


def _plant_orphan(runtime: Runtime, logs: Path) -> None:
    runtime.vault.put_bytes(b"nobody refers to me")


def _plant_biometric(runtime: Runtime, logs: Path) -> None:
    np.save(runtime.settings.data_dir / "pose.npy", np.zeros((33, 3), dtype=np.float32))


MARKER = "qz-marker-7f3a-kumquat"


def _plant_marker(runtime: Runtime, logs: Path) -> None:
    (logs / "stderr.capture").write_text("warning: could not parse " + MARKER + "\n")


def _plant_chain_break(runtime: Runtime, logs: Path) -> None:
    with runtime.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(actor="mallory"))


PLANTS: dict[str, Callable[[Runtime, Path], None]] = {
    "raw_ip": _plant_ip,
    "email": _plant_email,
    "prompt_text": _plant_prompt,
    "marker": _plant_marker,
    "unencrypted_media": _plant_media,
    "expired": _plant_expired,
    "orphan": _plant_orphan,
    "biometric": _plant_biometric,
    "audit_chain": _plant_chain_break,
}


def test_every_kind_has_a_planted_violation() -> None:
    assert set(PLANTS) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(PLANTS))
def test_each_planted_violation_is_caught(
    open_runtime: OpenRuntime, tmp_path: Path, kind: str
) -> None:
    runtime = open_runtime("standard")
    _run(runtime, 3, real=0)
    audit_log.record(runtime, "test.marker", jobs=3)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_text("INFO job finished in 120ms\n")
    assert run_audit(runtime, log_dirs=[logs], grace=NOW, markers=[MARKER]).clean
    PLANTS[kind](runtime, logs)
    result = run_audit(runtime, log_dirs=[logs], grace=NOW, markers=[MARKER])
    assert {finding.kind for finding in result.findings} == {kind}
    # A finding says where and what, never the text it found.
    text = str(result.to_dict())
    assert "bob.smith" not in text and "198.51.100.23" not in text and "Marmalade" not in text
    assert MARKER not in text


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        (b"2001:db8::1", True),  # global unicast (documentation block)
        (b"2a02:1810:4d02:aa00:1:2:3:4", True),
        (b"fd12:3456::7", True),  # unique-local: a client on the LAN
        (b"::ffff:198.51.100.23", True),  # an IPv4 client seen through IPv6
        (b"a::b", False),  # what random bytes spell: reserved space, no client has it
        (b"1:2:3:4:5:6:7:8", False),
        (b"::1", False),
        (b"fe80::1", False),
    ],
)
def test_which_ipv6_texts_count_as_a_client_address(text: bytes, flagged: bool) -> None:
    assert privacy_audit._valid_ip(text) is flagged


LONG_PROMPT = (
    'Crème brûlée volcano, "quoted" — erupting caramel over a sleepy fjord village '
    "while seventeen origami cranes circle the harbour lights"
)


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param(lambda p: p, id="whole"),
        pytest.param(lambda p: p[len(p) // 2 :], id="its-end-only"),
        pytest.param(lambda p: json.dumps({"prompt": p}), id="json-escaped"),
        pytest.param(lambda p: json.dumps({"prompt": p}, ensure_ascii=False), id="json-utf8"),
    ],
)
def test_a_stored_prompt_is_found_whole_at_either_end_and_in_any_spelling(
    open_runtime: OpenRuntime, tmp_path: Path, copy: Callable[[str], str]
) -> None:
    runtime = open_runtime("standard")
    submit_job(
        runtime,
        JobRequest(prompt=LONG_PROMPT, engine="fake", width=16, height=16, fps=8, seconds=0.125),
    )
    capture = tmp_path / "service.stderr"
    capture.write_bytes(b"\x00" * 20_000 + copy(LONG_PROMPT).encode() + b"\n")
    result = run_audit(runtime, grace=NOW, also=[capture])
    assert [(f.kind, f.where) for f in result.findings] == [("prompt_text", "service.stderr")]


@pytest.mark.sqlite_only  # marker 2 is on a free page of the SQLite file
def test_markers_are_found_in_every_place_text_can_land(
    open_runtime: OpenRuntime, tmp_path: Path
) -> None:
    runtime = open_runtime("standard")
    _run(runtime, 2, real=0)
    settings = runtime.settings
    markers = [f"zz-planted-{number}-wombat" for number in range(1, 8)]
    assert run_audit(runtime, grace=NOW, markers=markers).clean
    # 1: a text column (seen through SQL and in the raw file or WAL)
    with runtime.session() as session:
        session.execute(update(Job).values(stage="stage " + markers[0]))
    # 2: a deleted row's bytes on a free page of the database file (not seen through SQL)
    database = Path(runtime.db.url.database or "")
    raw = sqlite3.connect(database)
    raw.execute("PRAGMA secure_delete=OFF")
    raw.execute("CREATE TABLE scrap (note TEXT)")
    raw.execute("INSERT INTO scrap VALUES (?)", (markers[1] + " " * 3000,))
    raw.commit()
    raw.execute("DELETE FROM scrap")
    raw.commit()
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    # 3..6: the models, provenance and vault folders, scratch space
    places = [
        settings.resolved_models_dir / "notes.txt",
        settings.resolved_provenance_dir / "manifest.json",
        settings.vault_dir / "stray.txt",
        settings.data_dir / "elsewhere" / "cache.bin",
    ]
    for number, place in enumerate(places, start=3):
        place.parent.mkdir(parents=True, exist_ok=True)
        place.write_bytes(bytes(5000) + markers[number - 1].encode() + bytes(10))
    # 7: an stderr capture named with --also, the marker across a 16 MiB chunk border
    capture = tmp_path / "serve.stderr"
    with capture.open("wb") as handle:
        handle.write(b"." * (privacy_audit._CHUNK - 10))
        handle.write(markers[6].encode())
    result = run_audit(runtime, grace=NOW, markers=markers, also=[capture])
    found = {f.detail: f.where for f in result.findings if f.kind == "marker"}
    assert set(found) == {f"marker {number}" for number in range(1, 8)}
    assert any(f.detail == "marker 1" and f.where == "database/jobs.stage" for f in result.findings)
    assert found["marker 2"].startswith(settings.data_dir.name + "/")
    assert found["marker 3"].endswith("notes.txt")
    assert found["marker 4"].endswith("manifest.json")
    assert found["marker 5"].endswith("stray.txt")
    assert found["marker 6"].endswith("cache.bin")
    assert found["marker 7"] == "serve.stderr"
    assert not any(marker in str(result.to_dict()) for marker in markers)
