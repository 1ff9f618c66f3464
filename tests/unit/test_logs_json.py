"""JSON log lines for log shippers: time, level, logger, message and safe fields only,
with the guard on third-party text still in force for every logger."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import pytest

from reelvault.config import load_settings
from reelvault.errors import ConfigError
from tests.log_state import configured_logging

PROMPT = "a lantern in the fog over lake-canary-9c1e"
EMAIL = "alice.canary@example.com"
IP = "203.0.113.77"
PERSONAL = (PROMPT, EMAIL, IP, "lake-canary", "alice.canary")


def _lines(capfd: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    _out, err = capfd.readouterr()
    for personal in PERSONAL:
        assert personal not in err
    return [json.loads(line) for line in err.splitlines() if line.strip()]


@pytest.fixture
def json_logs() -> object:
    with configured_logging("DEBUG", "json"):
        yield


@pytest.mark.usefixtures("json_logs")
def test_our_lines_carry_time_level_logger_message_and_only_safe_fields(
    capfd: pytest.CaptureFixture[str],
) -> None:
    logging.getLogger("reelvault.jobs.runner").info(
        "job %s completed after %.1f s",
        "job_abc",
        1.5,
        extra={
            "job_id": "job_abc",
            "engine": "procedural",
            "duration_s": 1.5,
            # Not safe fields: dropped whatever a caller passes.
            "prompt": PROMPT,
            "email": EMAIL,
            "client_ip": IP,
            # A safe name with a value that is not an identifier: dropped too.
            "state": PROMPT,
        },
    )
    (line,) = _lines(capfd)
    assert line.keys() == {"time", "level", "logger", "message", "job_id", "engine", "duration_s"}
    assert line["level"] == "INFO"
    assert line["logger"] == "reelvault.jobs.runner"
    assert line["message"] == "job job_abc completed after 1.5 s"
    assert line["engine"] == "procedural" and line["duration_s"] == 1.5
    when = datetime.fromisoformat(str(line["time"]))
    assert when.utcoffset() is not None and when.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("logger", ["httpx", "uvicorn.error", "sqlalchemy.engine", "root", "PIL"])
@pytest.mark.usefixtures("json_logs")
def test_third_party_text_never_reaches_a_json_line(
    logger: str, capfd: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    library = logging.getLogger(logger)
    request.addfinalizer(lambda level=library.level: library.setLevel(level))
    library.setLevel(logging.DEBUG)
    library.warning("POST %s for %s from %s", PROMPT, EMAIL, IP, extra={"job_id": EMAIL})
    try:
        raise ValueError(f"bad input {PROMPT} {EMAIL} {IP}")
    except ValueError:
        library.exception("request from %s failed: %s", IP, PROMPT)
    # Only this logger's lines: a worker thread of an earlier test may still be logging
    # SQL through sqlalchemy.engine.Engine (its text is withheld too: _lines checks every
    # line for the personal values).
    warning, error = [line for line in _lines(capfd) if line["logger"] == logger]
    assert warning["level"] == "DEBUG" and "withheld" in str(warning["message"])
    assert "job_id" not in warning  # an address is not an identifier
    assert error["level"] == "ERROR" and error["logger"] == logger
    assert "ValueError (message withheld)" in str(error["exception"])


def test_the_setting_chooses_the_format(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_settings(None, data_dir=tmp_path).log_format == "text"
    monkeypatch.setenv("REELVAULT_LOG_FORMAT", "json")
    assert load_settings(None, data_dir=tmp_path).log_format == "json"
    monkeypatch.setenv("REELVAULT_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="REELVAULT_LOG_FORMAT"):
        load_settings(None, data_dir=tmp_path)


def test_text_stays_the_default_line(capfd: pytest.CaptureFixture[str]) -> None:
    with configured_logging("INFO"):
        logging.getLogger("reelvault.serve").info("started with %d worker(s)", 2)
    _out, err = capfd.readouterr()
    assert err.strip() == "INFO reelvault.serve: started with 2 worker(s)"
