"""A marker in every free-text field a client can send; the privacy audit finds none.

A scripted day of every feature, in-process against real components (SQLite, the vault,
thread workers, a real SMTP server, local stand-ins of fal.ai and Replicate, a webhook
receiver): every CPU engine (procedural, livephoto, puppet), both APIs (``/api/v1`` and
the OpenAI-compatible ``/v1/videos``), remote engines, webhooks, a notify-me signup, data
subject requests (rectify by e-mail, export, erase), and a provider that refuses a prompt
and quotes it back in its error. Each free-text field carries its own
marker: prompts, negative prompts, free-form provider input, the webhook URL, e-mail
addresses, upload file names, the user agent. Afterwards ``run_audit`` with the markers
searches the database files (free pages, WAL), every text column, scratch, logs, the
service's stderr, models, provenance and the remote ledger: no marker may be there.

The converse keeps the audit honest: with one enforcing function switched off, the
audit finds that field's marker.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.engines.livephoto.engine import LivePhotoEngine
from reelvault.engines.procedural.engine import ProceduralEngine
from reelvault.engines.puppet.engine import PuppetEngine
from reelvault.engines.registry import EngineRegistry
from reelvault.engines.remote import RemoteConfig, RemoteEngine
from reelvault.privacy import dsr
from reelvault.privacy.consent import grant, provider_purpose
from reelvault.privacy.notify import SmtpSettings
from reelvault.privacy.privacy_audit import AuditResult, run_audit
from reelvault.runtime import Runtime
from reelvault.testing import settings_for
from tests.unit.engines.remote.conftest import remote_config
from tests.unit.engines.remote.fakes import FakeComfy, FakeFal, FakeReplicate, reply_json
from tests.unit.privacy.test_notify import Inbox, smtp_server  # noqa: F401

DATA = Path(__file__).resolve().parents[1] / "data"
IMAGE = DATA / "fullbody_yoga_beach.jpg"
DANCE = DATA / "SYNTHETIC_dance_moves_576.mp4"
FAL_MODEL = "fal-ai/kling-video/v2/master/text-to-video"
REPLICATE_MODEL = "replicate:wan-video/wan-2.2-i2v-fast"
FIELDS = (
    "procedural_prompt",
    "webhook_url",
    "user_agent",
    "openai_prompt",
    "livephoto_prompt",
    "image_filename",
    "puppet_prompt",
    "video_filename",
    "fal_prompt",
    "fal_negative_prompt",
    "fal_input",
    "replicate_prompt",
    "replicate_negative_prompt",
    "comfyui_prompt",
    "comfyui_negative_prompt",
    "openai_filename",
    "rejected_prompt",
    "email",
    "rectified_email",
    "erased_prompt",
)


def _marker(field: str) -> str:
    # Letters and digits a scan cannot meet by chance; an e-mail field gets an address.
    token = "zqv" + field.replace("_", "") + "k7w3"
    return f"{token}@example.org" if field.endswith("email") else token


MARKERS = {field: _marker(field) for field in FIELDS}


class Receiver:
    """A webhook receiver on a loopback port: answers 200, counts deliveries."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll
            daemon=True,
        ).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def close(self) -> None:
        self.server.shutdown()


@dataclass
class Day:
    client: TestClient
    runtime: Runtime
    smtp: SmtpSettings
    inbox: Inbox
    fal: FakeFal
    replicate: FakeReplicate
    receiver: Receiver
    logs: Path


def _remote_class(config: RemoteConfig) -> type[RemoteEngine]:
    class ConfiguredRemote(RemoteEngine):
        def __init__(self, settings: Any) -> None:
            super().__init__(settings, config=config)

    return ConfiguredRemote


@contextmanager
def _service(tmp_path: Path, smtp: SmtpSettings, inbox: Inbox) -> Iterator[Day]:
    settings = settings_for(
        tmp_path,
        policy="standard",
        rate_limit_per_minute=0,
        webhook_allow_private=True,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from=smtp.sender,
        smtp_username=smtp.username,
        smtp_password=smtp.password,
        smtp_starttls=False,
        public_base_url=smtp.public_base_url,
    )
    fal, replicate, comfy, receiver = FakeFal(), FakeReplicate(), FakeComfy(), Receiver()
    # The remote ledger lives in the data directory: the audit searches it too.
    config = remote_config(
        tmp_path,
        fal=fal,
        replicate=replicate,
        comfy=comfy,
        ledger_dir=settings.data_dir / "remote-ledger",
    )
    registry = EngineRegistry(settings)
    for engine in (ProceduralEngine, LivePhotoEngine, PuppetEngine, _remote_class(config)):
        registry.register(engine)
    runtime = open_runtime(settings, registry=registry)
    # Everything logged, at every level, into a log folder the audit scans.
    logs = tmp_path / "logs"
    logs.mkdir()
    handler = logging.FileHandler(logs / "service.log")
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        app = create_app(settings, runtime=runtime, worker_mode="thread")
        with TestClient(app) as client:
            yield Day(client, runtime, smtp, inbox, fal, replicate, receiver, logs)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
        runtime.close()
        for server in (fal, replicate, comfy, receiver):
            server.close()


OWNERS: dict[str, str] = {}  # the bearer secret -> its owner id


def _owner(day: Day, name: str) -> dict[str, str]:
    key = create_api_key(day.runtime, name=name)
    OWNERS[key.secret] = key.owner_id
    headers = {"Authorization": f"Bearer {key.secret}", "User-Agent": MARKERS["user_agent"]}
    answer = day.client.post(
        "/api/v1/privacy/age", json={"over_minimum_age": True}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return headers


def _done(day: Day, job_id: str, headers: dict[str, str], path: str = "/api/v1/jobs") -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        job = day.client.get(f"{path}/{job_id}", headers=headers).json()
        if job["status"] in ("completed", "failed", "cancelled"):
            assert job["status"] == "completed", job
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def _native(day: Day, headers: dict[str, str], body: dict[str, Any]) -> str:
    body = {"size": "96x64", "fps": 8, "seconds": 1, **body}
    created = day.client.post("/api/v1/jobs", json=body, headers=headers)
    assert created.status_code == 201, created.text
    job_id: str = created.json()["id"]
    _done(day, job_id, headers)
    return job_id


def _multipart(
    day: Day, headers: dict[str, str], fields: dict[str, str], files: dict[str, Any]
) -> str:
    created = day.client.post(
        "/api/v1/jobs", data={"size": "96x64", "fps": "8", **fields}, files=files, headers=headers
    )
    assert created.status_code == 201, created.text
    job_id: str = created.json()["id"]
    _done(day, job_id, headers)
    return job_id


def _code(inbox: Inbox) -> str:
    body = inbox.messages[-1].get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"^    (\S+)\r?$", body.decode(), re.MULTILINE)
    assert match
    return match.group(1)


# -- the parts of the day -------------------------------------------------------------------


def native_engines(day: Day, headers: dict[str, str]) -> None:
    webhook = day.receiver.url(MARKERS["webhook_url"])
    _native(
        day,
        headers,
        {"engine": "procedural", "prompt": MARKERS["procedural_prompt"], "webhook_url": webhook},
    )
    _multipart(
        day,
        headers,
        {"task": "image_to_video", "engine": "livephoto", "prompt": MARKERS["livephoto_prompt"]},
        {"image": (MARKERS["image_filename"] + ".jpg", IMAGE.read_bytes(), "image/jpeg")},
    )
    _multipart(
        day,
        headers,
        {"task": "dance", "engine": "puppet", "prompt": MARKERS["puppet_prompt"], "seconds": "1"},
        {
            "image": ("me.jpg", IMAGE.read_bytes(), "image/jpeg"),
            "reference_video": (
                MARKERS["video_filename"] + ".mp4",
                DANCE.read_bytes(),
                "video/mp4",
            ),
        },
    )
    deadline = time.monotonic() + 10
    while not day.receiver.paths and time.monotonic() < deadline:
        time.sleep(0.05)
    assert day.receiver.paths == ["/" + MARKERS["webhook_url"]]  # the URL was used


def openai_api(day: Day, headers: dict[str, str]) -> None:
    body = {"prompt": MARKERS["openai_prompt"], "model": "reelvault-procedural", "size": "96x64"}
    created = day.client.post("/v1/videos", json={**body, "seconds": "1"}, headers=headers)
    assert created.status_code == 200, created.text
    _done(day, created.json()["id"], headers, path="/v1/videos")
    # Image to video: the upload's file name is the client's text too.
    created = day.client.post(
        "/v1/videos",
        data={
            "prompt": "a calm sea",
            "model": "reelvault-livephoto",
            "size": "96x64",
            "seconds": "1",
        },
        files={
            "input_reference": (
                MARKERS["openai_filename"] + ".jpg",
                IMAGE.read_bytes(),
                "image/jpeg",
            )
        },
        headers=headers,
    )
    assert created.status_code == 200, created.text
    _done(day, created.json()["id"], headers, path="/v1/videos")


def remote_engines(day: Day, headers: dict[str, str], owner_id: str) -> None:
    grant(day.runtime, owner_id, provider_purpose("fal"))
    grant(day.runtime, owner_id, provider_purpose("replicate"))
    grant(day.runtime, owner_id, provider_purpose("comfyui"))
    params = {
        "model": FAL_MODEL,
        "negative_prompt": MARKERS["fal_negative_prompt"],
        "input": {"style": MARKERS["fal_input"]},
    }
    _native(
        day,
        headers,
        {"engine": "remote", "prompt": MARKERS["fal_prompt"], "params": params, "size": "640x360"},
    )
    assert MARKERS["fal_input"].encode() in b"".join(seen.body for seen in day.fal.seen)
    # A provider that refuses a prompt and quotes it back in its error: the job fails,
    # and its error message (kept in the row, shown to the client) must not quote it.
    rejected = MARKERS["rejected_prompt"]
    day.fal.behaviour.submit_errors = [
        reply_json(
            422,
            {"detail": [{"loc": ["body", "prompt"], "msg": f"Value error, {rejected} is banned"}]},
        )
    ]
    created = day.client.post(
        "/api/v1/jobs",
        json={
            "engine": "remote",
            "prompt": rejected,
            "params": {"model": FAL_MODEL},
            "size": "640x360",
            "seconds": 1,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    with pytest.raises(AssertionError, match="'failed'"):
        _done(day, created.json()["id"], headers)
    _multipart(
        day,
        headers,
        {
            "task": "image_to_video",
            "model": REPLICATE_MODEL,
            "prompt": MARKERS["replicate_prompt"],
            "params": json.dumps({"negative_prompt": MARKERS["replicate_negative_prompt"]}),
            "size": "640x360",
        },
        {"image": ("photo.jpg", IMAGE.read_bytes(), "image/jpeg")},
    )
    _multipart(
        day,
        headers,
        {
            "task": "image_to_video",
            "model": "comfyui",
            "prompt": MARKERS["comfyui_prompt"],
            "params": json.dumps({"negative_prompt": MARKERS["comfyui_negative_prompt"]}),
            "size": "640x360",
        },
        {"image": ("photo.jpg", IMAGE.read_bytes(), "image/jpeg")},
    )


def notify_and_requests(day: Day, headers: dict[str, str]) -> None:
    signup = day.client.post(
        "/api/v1/privacy/notify", json={"email": MARKERS["email"]}, headers=headers
    )
    assert signup.status_code == 202, signup.text
    # A rectification by e-mail: the old address is replaced by the corrected one.
    dsr.create_request(
        day.runtime, day.smtp, kind=dsr.RequestKind.RECTIFY, address=MARKERS["email"]
    )
    outcome = dsr.verify(day.runtime, _code(day.inbox), new_address=MARKERS["rectified_email"])
    assert outcome is not None
    export = day.client.get("/api/v1/privacy/export", headers=headers)
    assert export.status_code == 200


def erasure(day: Day) -> None:
    leaving = _owner(day, "leaving")
    _native(day, leaving, {"engine": "procedural", "prompt": MARKERS["erased_prompt"]})
    assert day.client.post("/api/v1/privacy/erase", headers=leaving).status_code == 200


def _audit(day: Day, stderr: str, tmp_path: Path) -> AuditResult:
    capture = tmp_path / "service.stderr"
    capture.write_text(stderr)
    return run_audit(
        day.runtime, log_dirs=[day.logs], markers=list(MARKERS.values()), also=[capture]
    )


def _marked(result: AuditResult) -> dict[str, list[str]]:
    """Field name -> where its marker was found."""
    names = list(MARKERS)
    found: dict[str, list[str]] = {}
    for finding in result.findings:
        if finding.kind == "marker":
            number = int(finding.detail.removeprefix("marker "))
            found.setdefault(names[number - 1], []).append(finding.where)
    return found


def test_a_day_of_every_feature_leaves_no_marker_outside_the_vault(
    tmp_path: Path,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
    capfd: pytest.CaptureFixture[str],
) -> None:
    inbox, smtp = smtp_server
    with _service(tmp_path, smtp, inbox) as day:
        headers = _owner(day, "day")
        owner_id = _owner_id(day, headers)
        native_engines(day, headers)
        openai_api(day, headers)
        remote_engines(day, headers, owner_id)
        notify_and_requests(day, headers)
        erasure(day)
        result = _audit(day, capfd.readouterr().err, tmp_path)
    assert _marked(result) == {}
    # A naive cross-check of the audit: every byte of every file the test made, read whole.
    naive = [
        f"{path.relative_to(tmp_path)}: {field}"
        for path in sorted(tmp_path.rglob("*"))
        if path.is_file()
        for field, marker in MARKERS.items()
        if marker.encode() in path.read_bytes()
    ]
    assert naive == []
    leaks = [f for f in result.findings if f.kind in ("prompt_text", "email", "raw_ip")]
    assert leaks == []
    assert result.prompts_checked >= 6


# -- with an enforcement switched off, its marker is found -----------------------------------


def _keep_free_text_in_the_row(model: type, params: dict[str, Any]) -> Any:
    return params, {}


def _webhook_url_in_the_row(url: str | None) -> tuple[str | None, bytes | None]:
    return url, None


def _plain_address_hash(runtime: Runtime, address: str) -> str:
    return address


def _webhook_job(day: Day, headers: dict[str, str]) -> None:
    url = day.receiver.url(MARKERS["webhook_url"])
    body = {"engine": "procedural", "prompt": "a quiet pond at dawn", "webhook_url": url}
    _native(day, headers, body)
    deadline = time.monotonic() + 10
    while not day.receiver.paths and time.monotonic() < deadline:
        time.sleep(0.05)


def _remote_jobs(day: Day, headers: dict[str, str]) -> None:
    remote_engines(day, headers, _owner_id(day, headers))


# case -> (the enforcing function, where it is looked up; a naive stand-in; what to do;
# the field whose marker must then be found)
SWITCHED_OFF: dict[
    str, tuple[str, Callable[..., Any], Callable[[Day, dict[str, str]], None], str]
] = {
    "free-text params": (
        "reelvault.jobs.submission.split_free_text",
        _keep_free_text_in_the_row,
        _remote_jobs,
        "fal_negative_prompt",
    ),
    "webhook URL": (
        "reelvault.jobs.submission.split_webhook_url",
        _webhook_url_in_the_row,
        _webhook_job,
        "webhook_url",
    ),
    "error message": (
        "reelvault.jobs.lifecycle.without_client_text",
        lambda message, texts: message,
        _remote_jobs,
        "rejected_prompt",
    ),
    "e-mail": (
        "reelvault.privacy.notify.address_hash",
        _plain_address_hash,
        notify_and_requests,
        "email",
    ),
}


def _owner_id(day: Day, headers: dict[str, str]) -> str:
    return OWNERS[headers["Authorization"].removeprefix("Bearer ")]


@pytest.mark.parametrize("case", sorted(SWITCHED_OFF))
def test_with_its_enforcement_switched_off_a_fields_marker_is_found(
    tmp_path: Path,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    inbox, smtp = smtp_server
    target, replacement, scenario, field = SWITCHED_OFF[case]
    monkeypatch.setattr(target, replacement)
    with _service(tmp_path, smtp, inbox) as day:
        headers = _owner(day, "day")
        scenario(day, headers)
        result = _audit(day, "", tmp_path)
    assert field in _marked(result)
