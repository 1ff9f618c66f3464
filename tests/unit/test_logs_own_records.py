"""Our own log records cannot carry a prompt, an e-mail or an address by accident either.

Two ways a careless call of ours could: an exception logged with its traceback, whose
message quotes the input (an engine's library saying which prompt it refused), and an
address given as a "safe" field (``extra={"worker": ...}``) which looks like an
identifier. Both are stopped where every record passes, not left to each call site.
"""

from __future__ import annotations

import logging

import pytest

from tests.log_state import configured_logging

PROMPT = "a lantern in the fog over lake-canary-41d0"
EMAIL = "alice.canary@example.com"
IPS = ("203.0.113.77", "2001:db8:77::1", "::ffff:203.0.113.78")
PERSONAL = (PROMPT, EMAIL, "lake-canary", "alice.canary", "203.0.113.7", "2001:db8:77")


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_traceback_logged_by_our_code_keeps_no_exception_message(
    fmt: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with configured_logging("DEBUG", fmt):  # type: ignore[arg-type]
        log = logging.getLogger("reelvault.jobs.runner")
        try:
            try:
                raise KeyError(EMAIL)
            except KeyError as inner:
                raise ValueError(f"the engine refused {PROMPT!r}") from inner
        except ValueError:
            log.exception("job %s failed", "job_abc")
    _out, err = capfd.readouterr()
    assert "job job_abc failed" in err and "ValueError (message withheld)" in err
    assert "test_logs_own_records.py" in err  # the frames are kept: where it happened
    for personal in PERSONAL:
        assert personal not in err, personal


def test_an_address_is_not_an_identifier_in_a_safe_field(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with configured_logging("DEBUG", "json"):
        for address in IPS:
            logging.getLogger("reelvault.jobs.pool").info(
                "worker started", extra={"worker": address, "engine": address, "job_id": "job_1"}
            )
    _out, err = capfd.readouterr()
    assert err.count('"job_id": "job_1"') == len(IPS)
    for personal in PERSONAL:
        assert personal not in err, personal
