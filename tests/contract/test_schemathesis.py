"""Property-based API testing over the app's own OpenAPI schema: no 5xx, responses conform.

Schemathesis generates from the schema (valid and invalid data: its positive and
negative modes, unicode and ``\\x00`` in strings, negative numbers). On top of that,
half the cases are made nastier by the ``flatmap_case`` hook below with what a schema
never describes: integer literals longer than Python's 4,300-digit conversion limit,
nesting thousands of levels deep, ``NaN``/``Infinity``/``1e999``, lone surrogates and
control characters, in JSON bodies, multipart fields, query and path parameters and the
``Range`` header. JSON bodies made nasty go out as raw bytes (Python's JSON encoder can
spell neither a 5,000-digit integer nor ``NaN`` on purpose).
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.testing import registry_with_fake, settings_for


def _app():  # type: ignore[no-untyped-def]
    # Built at import (schemathesis needs the schema to generate tests); cleaned at exit.
    folder = Path(tempfile.mkdtemp(prefix="reelvault-schemathesis-"))
    atexit.register(shutil.rmtree, folder, True)
    app_settings = settings_for(
        folder,
        rate_limit_per_minute=0,
        # Plans and a Stripe webhook secret, so the billing routes check what they get
        # (no Stripe key: checkout and portal are refused before any call out).
        billing_plans={
            "free": {"video_seconds_per_month": 10_000},
            "pro": {"stripe_price_id": "p"},
        },
        stripe_webhook_secret="whsec_contract_test",
    )
    runtime = open_runtime(app_settings, registry=registry_with_fake(app_settings))
    return create_app(app_settings, runtime=runtime, worker_mode="none")


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())
# Valid and invalid data, NUL bytes and any UTF-8 in strings: schemathesis' defaults,
# spelled out so that a change of defaults cannot make this test gentler.
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    allow_x00=True,
    codec="utf-8",
    allow_extra_parameters=True,
)

# -- nasty values ---------------------------------------------------------------------

HUGE_DIGITS = st.integers(4_301, 12_000).map(lambda n: "9" * n)
"""Past ``sys.get_int_max_str_digits()``: ``int()`` of it raises ValueError."""
LONG_DIGITS = st.integers(19, 400).map(lambda n: "1" + "0" * n)
"""Past 64 bits, below Python's limit: overflows databases and C libraries instead."""
DEEP_ARRAY = st.integers(30, 60_000).map(lambda n: "[" * n + "]" * n)
DEEP_OBJECT = st.integers(30, 20_000).map(lambda n: '{"a":' * n + "0" + "}" * n)
SPECIAL_NUMBERS = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "-0", "1e-999"]
)
ODD_STRINGS = st.sampled_from(
    [
        r'"\ud800"',
        r'"\udfff\ud800"',
        r'"\u0000"',
        '"\u202e\u200b\ufeff"',
        '"' + "\U0001f600" * 500 + '"',
    ]
)
NASTY_JSON = st.one_of(
    HUGE_DIGITS,
    HUGE_DIGITS.map(lambda digits: "-" + digits),
    LONG_DIGITS,
    DEEP_ARRAY,
    DEEP_OBJECT,
    SPECIAL_NUMBERS,
    ODD_STRINGS,
)
"""JSON literals (text) that a JSON body or a JSON-valued form field may carry."""
NASTY_TEXT = st.one_of(
    HUGE_DIGITS,
    HUGE_DIGITS.map(lambda digits: "-" + digits),
    LONG_DIGITS,
    st.sampled_from(["NaN", "inf", "-inf", "1e999", "-0", "0x10", "1_000", "\u0661\u0662"]),
    DEEP_ARRAY,
    st.text(min_size=1, max_size=20).map(lambda text: text * 50),
)
"""Text for query, path and form values (numbers as text, unicode digits, repeats)."""
NASTY_RANGE = st.one_of(
    st.tuples(HUGE_DIGITS, st.sampled_from(["", "1"])).map(
        lambda pair: f"bytes={pair[0]}-{pair[1]}"
    ),
    HUGE_DIGITS.map(lambda digits: f"bytes=0-{digits}"),
    HUGE_DIGITS.map(lambda digits: f"bytes=-{digits}"),
    st.integers(4_301, 8_000).map(lambda n: "bytes=" + "0" * n + "1-2"),
    st.sampled_from(
        ["bytes=-0", "bytes=5-1", "bytes=0-0,1-1", "bytes=\xb9-", "bytes=\xa0\xa0", "items=0-1"]
    ),
)

_MARK = "\x00nasty\x00"


def _json_with(body: Any, literal: str, key: str, inside_params: bool) -> bytes:
    """``body`` as JSON text with ``literal`` (raw JSON text) put at ``key``."""
    document = dict(body) if isinstance(body, dict) else {}
    target = document
    if inside_params:
        params = document.get("params")
        target = dict(params) if isinstance(params, dict) else {}
        document["params"] = target
    target[key] = _MARK
    return json.dumps(document).replace(json.dumps(_MARK), literal).encode()


@st.composite
def _nastier(draw: st.DrawFn, case: schemathesis.Case) -> schemathesis.Case:
    media = case.media_type or ""
    if media == "application/json" or (media == "" and isinstance(case.body, dict)):
        keys = sorted(case.body) if isinstance(case.body, dict) and case.body else []
        key = draw(st.sampled_from([*keys, "params", "seed", "seconds", "extra"]))
        literal = draw(NASTY_JSON)
        case.body = _json_with(case.body, literal, key, draw(st.booleans()))
    elif media.startswith("multipart/") and isinstance(case.body, dict):
        field = draw(st.sampled_from([*sorted(case.body), "params", "fps", "seed", "seconds"]))
        if field == "params":
            inner = draw(NASTY_JSON)
            value = draw(st.sampled_from(['{"steps": %s}', "%s", '{"a": [%s]}'])) % inner
        else:
            value = draw(NASTY_TEXT)
        case.body = {**case.body, field: value}
    if case.query or draw(st.booleans()):
        name = draw(st.sampled_from([*sorted(case.query or {}), "limit", "after", "variant"]))
        case.query = {**(case.query or {}), name: draw(NASTY_TEXT)}
    if case.path_parameters and draw(st.booleans()):
        name = draw(st.sampled_from(sorted(case.path_parameters)))
        case.path_parameters = {
            **case.path_parameters,
            name: draw(st.one_of(NASTY_TEXT, st.sampled_from(["..", "%2e%2e", "job_\u0000"]))),
        }
    if case.path.endswith("/content") or draw(st.integers(0, 9)) == 0:
        case.headers = {**(case.headers or {}), "Range": draw(NASTY_RANGE)}
    return case


@schema.hook
def flatmap_case(context: Any, case: schemathesis.Case) -> st.SearchStrategy[schemathesis.Case]:
    return st.one_of(st.just(case), _nastier(case))


MAIL_ROUTES = {"/api/v1/account/password-reset", "/api/v1/account/verify-email/send"}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_errors_and_matches_its_schema(case: schemathesis.Case) -> None:
    if case.path == "/readyz":
        pytest.skip("readiness reports 503 by design when no workers run")
    response = case.call()
    if case.path in MAIL_ROUTES and response.status_code == 503:
        # This app sends no e-mail: the routes that must send one say so with 503.
        assert response.json()["error"]["code"] == "unavailable"
        return
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
