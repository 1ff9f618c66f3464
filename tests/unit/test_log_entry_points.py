"""Every entry point installs the log guard: the app factory and a worker process."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator

import pytest

from reelvault.app.factory import create_app
from reelvault.config import Settings
from reelvault.jobs.worker import worker_process_main

SECRET = "entry-point-canary-77"


@pytest.fixture
def logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    factory, handlers, level = logging.getLogRecordFactory(), list(root.handlers), root.level
    sigterm, sigint = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    # Start from an unguarded process, as a fresh interpreter is.
    logging.setLogRecordFactory(logging.LogRecord)
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        logging.captureWarnings(False)
        signal.signal(signal.SIGTERM, sigterm)
        signal.signal(signal.SIGINT, sigint)


def _third_party_text_shows(caplog: pytest.LogCaptureFixture) -> bool:
    caplog.clear()
    logging.getLogger("httpx").warning("POST %s", SECRET)
    return SECRET in caplog.text


def test_the_app_factory_installs_the_guard(
    settings: Settings, logging_restored: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert _third_party_text_shows(caplog)  # the process starts unguarded
    create_app(settings, worker_mode="none")
    assert not _third_party_text_shows(caplog)


def test_a_worker_process_installs_the_guard(
    settings: Settings, logging_restored: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert _third_party_text_shows(caplog)
    stop = threading.Event()
    stop.set()  # start, configure, and return at once
    worker_process_main(settings, stop)
    assert not _third_party_text_shows(caplog)
