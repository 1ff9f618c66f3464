"""Property-based API testing over the app's own OpenAPI schema: no 5xx, responses conform."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from reelvault.api.app import create_app
from reelvault.jobs.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for


def _app():  # type: ignore[no-untyped-def]
    # Built at import (schemathesis needs the schema to generate tests); cleaned at exit.
    folder = Path(tempfile.mkdtemp(prefix="reelvault-schemathesis-"))
    atexit.register(shutil.rmtree, folder, True)
    app_settings = settings_for(folder, rate_limit_per_minute=0)
    runtime = Runtime.open(app_settings, registry=registry_with_fake(app_settings))
    return create_app(app_settings, runtime=runtime, worker_mode="none")


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_errors_and_matches_its_schema(case: schemathesis.Case) -> None:
    if case.path == "/readyz":
        pytest.skip("readiness reports 503 by design when no workers run")
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
