"""The whole scale-out deployment at once, as docs/deploy.md describes it: an API node,
a Celery worker node (a separate process) on Redis, the jobs table in PostgreSQL and the
vault in an S3 bucket (a private moto_server).

Each piece is tested on its own elsewhere; this test is about them together: a job with
an upload goes through, and afterwards neither the broker nor the bucket holds the
prompt or a piece of the upload, every object in the bucket is vault ciphertext with its
key row, and deleting the job empties the bucket. Proven by removal: a task message that
carries the prompt fails the broker scan; a store that writes plaintext fails the bucket
scan.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelvault.db.vault_keys import VaultKey
from reelvault.vault.aead import MAGIC
from reelvault.vault.stores.s3 import S3BlobStore
from tests.integration.celery_nodes import redis_contents, wait_for
from tests.integration.test_celery_queue import Deployment
from tests.s3_server import S3Server
from tests.services import REDIS_URL, require_tcp
from tests.storage_backends import PostgresDatabases

PHOTO = (Path(__file__).parents[1] / "data" / "fullbody_yoga_beach.jpg").read_bytes()


@pytest.fixture
def stack(
    tmp_path: Path, s3_server: S3Server, postgres_databases: PostgresDatabases
) -> Iterator[Deployment]:
    require_tcp("Redis", REDIS_URL, 6379)
    name, database_url = postgres_databases.new()
    bucket = s3_server.new_bucket()
    deployment = Deployment(
        tmp_path,
        REDIS_URL,
        database_url,
        policy="standard",  # keeps the upload: one more object that must be ciphertext
        **s3_server.settings_overrides(bucket, prefix="media"),
    )
    try:
        yield deployment
    finally:
        deployment.close()
        postgres_databases.drop(name)


def _bucket(deployment: Deployment) -> dict[str, bytes]:
    store = deployment.runtime.vault.blobs
    assert isinstance(store, S3BlobStore)
    found = {}
    for object_id in store.ids():
        with store.open_read(object_id) as stream:
            found[str(object_id)] = stream.read()
    return found


def _key_rows(deployment: Deployment) -> set[str]:
    with deployment.runtime.session() as session:
        return {str(row.id) for row in session.query(VaultKey)}


@pytest.mark.slow
def test_postgresql_celery_and_s3_together_keep_nothing_personal_in_the_open(
    stack: Deployment,
) -> None:
    prompt = "the ferry pilot Ottoline " + secrets.token_hex(6)
    answer = stack.client.post(
        "/api/v1/jobs",
        data={"task": "image_to_video", "engine": "livephoto", "prompt": prompt, "seconds": "1"},
        files={"image": ("me.jpg", PHOTO, "image/jpeg")},
    )
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["id"]
    stack.node("livephoto")
    wait_for(lambda: stack.status(job_id) in ("completed", "failed"), 120, "the job")
    assert stack.status(job_id) == "completed", stack.logs()[-2000:]
    video = stack.client.get(f"/api/v1/jobs/{job_id}/content")
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"

    pieces = [prompt.encode(), prompt.split()[-1].encode(), b"Ottoline"]
    pieces += [PHOTO[offset : offset + 32] for offset in range(0, len(PHOTO) - 32, 8192)]
    broker = redis_contents(REDIS_URL)
    assert [piece for piece in pieces if any(piece in value for value in broker)] == []

    objects = _bucket(stack)
    assert len(objects) >= 3, "prompt, upload and video at least"
    for object_id, blob in objects.items():
        assert blob.startswith(MAGIC), object_id
        assert [piece for piece in pieces if piece in blob] == [], object_id
    assert _key_rows(stack) == set(objects)
    assert prompt not in stack.logs()

    assert stack.client.delete(f"/api/v1/jobs/{job_id}").status_code == 200
    assert _bucket(stack) == {}
    assert _key_rows(stack) == set()
