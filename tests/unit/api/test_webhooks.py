"""Signed webhooks reach a real local receiver, and a transient 500 is retried once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reelvault.db.models import Job
from reelvault.jobs import objects, webhooks
from reelvault.types import JobStatus, ObjectId

from .conftest import FAKE_JOB, make_client, wait_for


class Receiver:
    """Answers 500 to the first delivery, 200 afterwards; records every request."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                status = 500 if not receiver.requests else 200
                receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            daemon=True,
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification, written from the spec (not reelvault's code)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(
        sig.split(",", 1)[1] == expected
        for sig in headers["webhook-signature"].split()
        if sig.startswith("v1,")
    )


def test_signed_delivery_after_a_transient_500(tmp_path: Path) -> None:
    receiver = Receiver()
    client, runtime = make_client(
        tmp_path, webhook_allow_private=True, webhook_retry_base_seconds=0.2
    )
    try:
        with client:
            secret = client.post("/api/v1/webhook-secret").json()["secret"]
            assert secret.startswith("whsec_")
            job = client.post("/api/v1/jobs", json={**FAKE_JOB, "webhook_url": receiver.url}).json()
            wait_for(client, job["id"])
            deadline = time.monotonic() + 15
            while len(receiver.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.6)  # would a third delivery come? it must not
        assert [status for _, _, status in receiver.requests] == [500, 200]
        (h1, _first_body, _), (h2, body, _) = receiver.requests
        headers = {key.lower(): value for key, value in h2.items()}
        assert verify(secret, headers, body)
        assert headers["webhook-id"] == {k.lower(): v for k, v in h1.items()}["webhook-id"]
        assert not verify("whsec_" + base64.b64encode(b"x" * 32).decode(), headers, body)
        payload = json.loads(body)
        assert payload["type"] == "video.completed"
        assert payload["data"]["id"] == job["id"]
        assert "lantern" not in body.decode()  # no prompt text in webhooks
    finally:
        receiver.close()
        runtime.close()


def test_rotating_the_secret_changes_it(tmp_path: Path) -> None:
    client, runtime = make_client(tmp_path)
    with client:
        first = client.post("/api/v1/webhook-secret").json()["secret"]
        assert client.post("/api/v1/webhook-secret").json()["secret"] == first
        rotated = client.post("/api/v1/webhook-secret", params={"rotate": "true"}).json()
        assert rotated["secret"] != first
    runtime.close()


def _database_bytes(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(data_dir.glob("reelvault.db*")))


def test_the_webhook_url_is_kept_encrypted_and_shredded_once_delivered(tmp_path: Path) -> None:
    receiver = Receiver()
    receiver.requests.append(({}, b"", 0))  # answer 200 at once
    client, runtime = make_client(tmp_path, webhook_allow_private=True)
    url = receiver.url + "/hook-token-5c1e9a77"
    try:
        with client:
            job = client.post("/api/v1/jobs", json={**FAKE_JOB, "webhook_url": url}).json()
            with runtime.session() as session:
                row = session.get(Job, job["id"])
                assert row is not None and row.webhook_url is None
                kept = row.object_of_kind(objects.WEBHOOK_URL)
                assert kept is not None
                assert runtime.vault.read_bytes(ObjectId(kept.id)) == url.encode()
            assert b"hook-token-5c1e9a77" not in _database_bytes(runtime.settings.data_dir)
            wait_for(client, job["id"])
            deadline = time.monotonic() + 15
            while len(receiver.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert receiver.requests[1][2] == 200
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and runtime.vault.exists(ObjectId(kept.id)):
                time.sleep(0.05)
            assert not runtime.vault.exists(ObjectId(kept.id))  # delivered: no longer held
    finally:
        receiver.close()
        runtime.close()


def test_a_row_written_before_still_gets_its_notice(tmp_path: Path) -> None:
    receiver = Receiver()
    receiver.requests.append(({}, b"", 0))
    client, runtime = make_client(tmp_path, webhook_allow_private=True)
    try:
        with client:
            job = client.post("/api/v1/jobs", json=FAKE_JOB).json()
            wait_for(client, job["id"])
            with runtime.session() as session:
                # A row as stored before URLs went into the vault, its notice due now.
                row = session.get(Job, job["id"])
                assert row is not None
                row.webhook_url = receiver.url
                webhooks.enqueue(runtime, session, row, JobStatus.COMPLETED, runtime.clock())
            deadline = time.monotonic() + 15
            while len(receiver.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        assert len(receiver.requests) == 2
        assert json.loads(receiver.requests[1][1])["data"]["id"] == job["id"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with runtime.session() as session:
                row = session.get(Job, job["id"])
                assert row is not None
                if row.webhook_url is None:
                    break  # delivered: the old row's plaintext URL is gone too
            time.sleep(0.05)
        assert row.webhook_url is None
    finally:
        receiver.close()
        runtime.close()
