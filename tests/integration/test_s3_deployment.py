"""A real job through the API with the vault in S3 (a private moto_server), on SQLite and
on PostgreSQL: submit with an upload, run, download, delete.

The bucket receives ciphertext only: after the run every object in it is scanned for the
prompt and the upload's bytes; each object has its key row in the database; deleting the
job shreds objects and key rows alike; ``privacy audit`` checks the bucket too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.db.models import Job, Owner, StoredObject
from reelvault.db.privacy_models import PrivacySecret
from reelvault.db.vault_keys import VaultKey
from reelvault.privacy.erase import erase_owner
from reelvault.privacy.privacy_audit import run_audit
from reelvault.runtime import Runtime
from reelvault.testing import TEST_MASTER_KEY, registry_with_fake, settings_for
from reelvault.vault.aead import MAGIC
from reelvault.vault.stores.s3 import S3BlobStore
from tests.cli_helpers import CLI, run_cli
from tests.s3_faults import FaultProxy
from tests.s3_server import S3Server
from tests.services import free_port
from tests.unit.jobs.helpers import fake_request, run_to_end

DATA = Path(__file__).parents[1] / "data"
PHOTO = (DATA / "fullbody_yoga_beach.jpg").read_bytes()
PROMPT = "Zanzibar lighthouse keeper Wilhelmina counting gulls at dusk"
MEDIA = [b"ftypisom", b"ftypmp42", b"\x89PNG\r\n\x1a\n", b"WEBPVP8", b"JFIF", b"x264 - core"]

pytestmark = pytest.mark.parametrize("database_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def deployment(
    s3_server: S3Server,
    tmp_path: Path,
    database_backend: str,
) -> Iterator[tuple[TestClient, Runtime]]:
    bucket = s3_server.new_bucket()
    settings = settings_for(
        tmp_path, policy="standard", **s3_server.settings_overrides(bucket, prefix="rv/media")
    )
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    client = TestClient(create_app(settings, runtime=runtime, worker_mode="thread"))
    with client:
        yield client, runtime
    runtime.close()


def wait_for(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("completed", "failed", "cancelled", "expired"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def bucket(runtime: Runtime) -> dict[str, bytes]:
    store = runtime.vault.blobs
    assert isinstance(store, S3BlobStore)
    return {
        key: store.client.get_object(Bucket=store.bucket, Key=key)["Body"].read()
        for key in store.object_keys()
    }


def key_rows(runtime: Runtime) -> set[str]:
    with runtime.session() as session:
        return set(session.scalars(select(VaultKey.id)))


def test_a_job_runs_with_its_vault_in_s3(deployment: tuple[TestClient, Runtime]) -> None:
    client, runtime = deployment
    answer = client.post(
        "/api/v1/jobs",
        data={
            "engine": "fake",
            "prompt": PROMPT,
            "size": "64x48",
            "fps": "8",
            "seconds": "1",
            "task": "image_to_video",
        },
        files={"image": ("me.jpg", PHOTO, "image/jpeg")},
    )
    assert answer.status_code == 201, answer.text
    job = wait_for(client, answer.json()["id"])
    assert job["status"] == "completed", job
    video = client.get(f"/api/v1/jobs/{job['id']}/content")
    assert video.status_code == 200 and b"ftyp" in video.content[:16]
    part = client.get(f"/api/v1/jobs/{job['id']}/content", headers={"range": "bytes=4-11"})
    assert part.status_code == 206 and part.content == video.content[4:12]

    # Nothing plaintext in the bucket: no prompt, no upload bytes, no media signature.
    objects = bucket(runtime)
    assert len(objects) >= 4  # prompt, upload (kept by "standard"), video, thumbnail...
    needles = [PROMPT.encode(), b"Wilhelmina", PHOTO[1000:1064], PHOTO[-64:], *MEDIA]
    for key, blob in objects.items():
        assert blob.startswith(MAGIC), key
        assert [needle for needle in needles if needle in blob] == [], key
    # Each object has its key row; no key is on the local disk, no blob either.
    store = runtime.vault.blobs
    assert isinstance(store, S3BlobStore)
    assert key_rows(runtime) == set(store.ids())
    vault_dir = runtime.settings.vault_dir
    assert [path for path in vault_dir.rglob("*") if path.is_file()] == []
    audit = run_audit(runtime, grace=timedelta(0))
    counts = audit.counts()
    assert counts["unencrypted_media"] == counts["prompt_text"] == counts["orphan"] == 0, (
        audit.findings
    )
    assert audit.vault_objects == len(objects)

    # Deleting the job shreds its objects: neither the objects nor their key rows remain.
    assert client.delete(f"/api/v1/jobs/{job['id']}").status_code == 200
    assert bucket(runtime) == {}
    assert key_rows(runtime) == set()


def test_the_audit_reports_what_should_not_be_in_the_bucket(
    deployment: tuple[TestClient, Runtime],
) -> None:
    _client, runtime = deployment
    store = runtime.vault.blobs
    assert isinstance(store, S3BlobStore)
    kept = runtime.vault.put_bytes(b"an object whose key row is lost")
    with runtime.session() as session:
        session.execute(VaultKey.__table__.delete().where(VaultKey.id == kept.object_id))
    store.client.put_object(Bucket=store.bucket, Key=f"{store.prefix}notes.txt", Body=PROMPT)
    store.client.create_multipart_upload(Bucket=store.bucket, Key=f"{store.prefix}half")
    audit = run_audit(runtime, grace=timedelta(0), markers=["Wilhelmina"])
    found = {(finding.kind, finding.detail) for finding in audit.findings}
    assert ("unencrypted_media", "an object in the bucket not encrypted") in found
    assert ("marker", "marker 1") in found
    assert ("orphan", "ciphertext whose key is gone") in found
    assert ("orphan", "an unfinished upload in the bucket (parts kept)") in found
    assert all("notes" not in finding.where for finding in audit.findings)
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(VaultKey)) == 0


def test_the_cli_takes_the_s3_store_from_the_environment(
    s3_server: S3Server,
    tmp_path: Path,
    database_backend: str,
) -> None:
    """`reelvault generate` in a subprocess, configured by environment variables only."""
    bucket_name = s3_server.new_bucket()
    env = {
        f"REELVAULT_{name.upper()}": str(value)
        for name, value in s3_server.settings_overrides(bucket_name).items()
    }
    if database_backend == "postgresql":
        env["REELVAULT_DATABASE_URL"] = os.environ["REELVAULT_DATABASE_URL"]
    target = tmp_path / "wanted.mp4"
    # "standard" keeps the video (and the prompt) for a while: they must be in the bucket.
    args = ["--policy", "standard", "generate", PROMPT, "-o", str(target), "--seconds", "1"]
    args += ["--size", "160x90"]
    result = run_cli(*args, "--fps", "12", data_dir=tmp_path / "data", env=env)
    assert result.returncode == 0, result.stderr
    assert b"ftyp" in target.read_bytes()[:16]
    client = s3_server.client()
    listed = client.list_objects_v2(Bucket=bucket_name).get("Contents", [])
    assert len(listed) >= 3  # the video, its thumbnail and its spritesheet at least
    for entry in listed:
        blob = client.get_object(Bucket=bucket_name, Key=entry["Key"])["Body"].read()
        assert blob.startswith(MAGIC) and b"Wilhelmina" not in blob
    vault_dir = tmp_path / "data" / "vault"
    assert [path for path in vault_dir.rglob("*") if path.is_file()] == []
    assert "Wilhelmina" not in result.stderr + result.stdout


def test_a_job_fails_cleanly_when_the_bucket_keeps_failing(
    s3_server: S3Server,
    tmp_path: Path,
    database_backend: str,
) -> None:
    """Outputs that cannot be stored (every PUT answered 500, past the retries): the job
    fails with storage_error, and neither an object, an unfinished upload nor a key row
    of its outputs remains."""
    proxy = FaultProxy(s3_server.endpoint_url)
    bucket_name = s3_server.new_bucket()
    overrides = s3_server.settings_overrides(bucket_name, s3_max_attempts=2)
    overrides["blob_store"] = f"s3://{bucket_name}/vault?endpoint_url={proxy.endpoint_url}"
    settings = settings_for(tmp_path, **overrides)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    try:
        with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as client:
            body = {"engine": "fake", "prompt": PROMPT, "size": "64x48", "fps": 8, "seconds": 1}
            # The engine takes a second to render: the bucket breaks while it runs.
            answer = client.post("/api/v1/jobs", json={**body, "params": {"delay": 0.125}})
            assert answer.status_code == 201, answer.text
            proxy.fail(500, times=None, when=lambda method, _path: method == "PUT")
            job = wait_for(client, answer.json()["id"])
            assert job["status"] == "failed", job
            assert job["error"]["code"] == "storage_error", job
            proxy.clear()
            store = runtime.vault.blobs
            assert isinstance(store, S3BlobStore)
            assert store.unfinished_uploads() == []
            assert set(store.ids()) == key_rows(runtime)
            assert 500 in set(proxy.statuses())
    finally:
        runtime.close()
        proxy.close()


def test_api_and_worker_processes_share_the_bucket_and_the_keys(
    s3_server: S3Server,
    tmp_path: Path,
    database_backend: str,
) -> None:
    """Two roles as two processes, as on two machines: `serve --no-workers` stores the
    prompt (bucket + key row), `worker` reads it back, renders and stores the video,
    and the API node streams the video out. Nothing but the bucket and the database is
    shared (each process gets a data folder of its own)."""
    bucket_name = s3_server.new_bucket()
    shared = {
        f"REELVAULT_{name.upper()}": str(value)
        for name, value in s3_server.settings_overrides(bucket_name).items()
    }
    shared["REELVAULT_POLL_SECONDS"] = "0.1"
    shared["REELVAULT_MASTER_KEY"] = TEST_MASTER_KEY
    if database_backend == "postgresql":
        shared["REELVAULT_DATABASE_URL"] = os.environ["REELVAULT_DATABASE_URL"]
    else:  # one SQLite file both processes open (the API node's data folder)
        shared["REELVAULT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'api' / 'reelvault.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELVAULT_")}
    env.update(shared)
    port = free_port()
    api = subprocess.Popen(
        [*CLI, "serve", "--no-workers", "--port", str(port)],
        env={**env, "REELVAULT_DATA_DIR": str(tmp_path / "api")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    worker = subprocess.Popen(
        [*CLI, "worker"],
        env={**env, "REELVAULT_DATA_DIR": str(tmp_path / "worker")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert api.poll() is None and worker.poll() is None
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        body = {"prompt": PROMPT, "size": "320x180", "seconds": 1}
        job = httpx.post(f"{base}/api/v1/jobs", json=body, timeout=30).json()
        status = "queued"
        while time.monotonic() < deadline and status not in ("completed", "failed"):
            time.sleep(0.2)
            status = httpx.get(f"{base}/api/v1/jobs/{job['id']}").json()["status"]
        assert status == "completed"
        video = httpx.get(f"{base}/api/v1/jobs/{job['id']}/content", timeout=30)
        assert video.content[4:8] == b"ftyp"
        client = s3_server.client()
        listed = client.list_objects_v2(Bucket=bucket_name).get("Contents", [])
        assert len(listed) >= 3
        for entry in listed:
            blob = client.get_object(Bucket=bucket_name, Key=entry["Key"])["Body"].read()
            assert blob.startswith(MAGIC) and b"Wilhelmina" not in blob
        for folder in ("api", "worker"):
            vault_dir = tmp_path / folder / "vault"
            assert [path for path in vault_dir.rglob("*") if path.is_file()] == []
    finally:
        for process in (worker, api):
            process.send_signal(signal.SIGTERM)
        errors = [process.communicate(timeout=60)[1] for process in (worker, api)]
    assert all("Wilhelmina" not in text for text in errors)


def test_readyz_says_not_ready_while_the_bucket_does_not_answer(
    s3_server: S3Server, tmp_path: Path, database_backend: str
) -> None:
    proxy = FaultProxy(s3_server.endpoint_url)
    bucket_name = s3_server.new_bucket()
    overrides = s3_server.settings_overrides(bucket_name)
    overrides["blob_store"] = f"s3://{bucket_name}/vault?endpoint_url={proxy.endpoint_url}"
    settings = settings_for(tmp_path, **overrides)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    try:
        with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as client:
            assert client.get("/readyz").status_code == 200
            proxy.fail(503, times=None)
            started = time.monotonic()
            assert client.get("/readyz").status_code == 503
            assert time.monotonic() - started < 5  # one quick try, not every retry
            proxy.clear()
            assert client.get("/readyz").status_code == 200
    finally:
        runtime.close()
        proxy.close()


def test_erasing_an_owner_removes_their_objects_and_key_rows_only(
    s3_server: S3Server, tmp_path: Path, database_backend: str
) -> None:
    """Art. 17 with the vault in S3: everything of the person leaves the bucket and the
    key table (shredded in the erasure's own transactions); another owner keeps theirs."""
    bucket_name = s3_server.new_bucket()
    settings = settings_for(tmp_path, policy="library", **s3_server.settings_overrides(bucket_name))
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    try:
        for owner in ("own_leaving", "own_leaving", "own_staying"):
            job = run_to_end(runtime, fake_request(owner_id=owner, prompt=PROMPT))
            assert job.status.value == "completed"
        with runtime.session() as session:
            leaving = set(
                session.scalars(
                    select(StoredObject.id)
                    .join(Job, StoredObject.job_id == Job.id)
                    .where(Job.owner_id == "own_leaving")
                )
            )
            secret = session.scalar(
                select(Owner.webhook_secret_object).where(Owner.id == "own_leaving")
            )
        leaving |= {secret} if secret else set()
        store = runtime.vault.blobs
        assert isinstance(store, S3BlobStore)
        before = set(store.ids())
        assert len(leaving) >= 6 and leaving < before and before == key_rows(runtime)
        erase_owner(runtime, "own_leaving")
        after = set(store.ids())
        assert not after & leaving and before - leaving <= after
        assert after == key_rows(runtime)
        with runtime.session() as session:  # new: the deployment's own secrets, if any
            secrets = set(session.scalars(select(PrivacySecret.object_id)))
        assert after - before <= secrets
        assert erase_owner(runtime, "own_leaving").objects_shredded == 0  # idempotent
    finally:
        runtime.close()
