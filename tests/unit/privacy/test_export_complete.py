"""The export holds everything kept about the owner: webhook URLs and privacy flags too."""

from __future__ import annotations

import io
import json
import zipfile

from reelvault.privacy import age
from reelvault.privacy.export import export_bytes
from reelvault.privacy.restrict import set_restricted
from tests.unit.jobs.helpers import fake_request, run_to_end

from .conftest import OpenRuntime

OWNER = "own_exporter"


def _data(archive: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        loaded: dict[str, object] = json.loads(opened.read("data.json"))
    return loaded


def test_export_includes_each_jobs_webhook_url(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime("library")
    with_hook = run_to_end(
        runtime, fake_request(owner_id=OWNER, webhook_url="https://93.184.215.14/rv/1")
    )
    without = run_to_end(runtime, fake_request(owner_id=OWNER))
    (owner,) = _data(export_bytes(runtime, [OWNER]))["owners"]  # type: ignore[misc]
    urls = {job["id"]: job["webhook_url"] for job in owner["jobs"]}
    assert urls == {with_hook.id: "https://93.184.215.14/rv/1", without.id: None}


def test_export_includes_the_age_declaration_and_restriction(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime("library")
    (owner,) = _data(export_bytes(runtime, [OWNER]))["owners"]  # type: ignore[misc]
    assert owner["privacy_flags"]["age_declared"] is False
    age.declare_age(runtime, OWNER, over_minimum_age=True)
    set_restricted(runtime, OWNER, True)
    (owner,) = _data(export_bytes(runtime, [OWNER]))["owners"]  # type: ignore[misc]
    flags = owner["privacy_flags"]
    assert flags["age_declared"] is True and flags["under_minimum_age"] is False
    assert flags["age_declared_at"] and flags["restricted"] is True and flags["restricted_at"]
