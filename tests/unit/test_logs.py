"""The log guard: third-party text withheld wherever a record goes; ours kept."""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from reelvault.logs import NATIVE_ENVIRONMENT, native_output_quieted
from tests.log_state import configured_logging

SECRET = "prompt-canary-4d1f"


@pytest.fixture
def guarded(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with configured_logging("WARNING"):
        caplog.set_level(logging.DEBUG)
        yield caplog


def _everything(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> str:
    out, err = capfd.readouterr()
    records = " ".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    )
    return f"{out}\n{err}\n{records}\n{caplog.text}"


@pytest.mark.parametrize(
    "logger", ["diffusers.pipelines.ltx", "transformers", "httpx", "uvicorn.error", "root", "PIL"]
)
def test_third_party_text_is_withheld_and_warnings_are_demoted(
    logger: str,
    guarded: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    # As chatty as a library can leave its logger (verbosity APIs may have quieted it).
    library_logger = logging.getLogger(logger)
    request.addfinalizer(functools.partial(library_logger.setLevel, library_logger.level))
    library_logger.setLevel(logging.DEBUG)
    library_logger.warning("truncated: %s", SECRET)
    assert SECRET not in _everything(guarded, capfd)
    (record,) = [r for r in guarded.records if r.name == logger]
    assert record.levelno == logging.DEBUG
    assert "WARNING withheld" in record.getMessage()


def test_third_party_errors_stay_errors_with_frames_but_no_message(
    guarded: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    try:
        raise ValueError(f"bad input {SECRET}")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application %s", SECRET)
    text = _everything(guarded, capfd)
    assert SECRET not in text
    (record,) = [r for r in guarded.records if r.name == "uvicorn.error"]
    assert record.levelno == logging.ERROR
    assert record.exc_text is not None
    assert "test_logs.py" in record.exc_text
    assert "ValueError (message withheld)" in record.exc_text


def test_our_records_and_known_safe_lines_pass_unchanged(
    guarded: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("reelvault.jobs.runner").warning("job %s failed", "job_abc")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    _out, err = capfd.readouterr()
    assert "WARNING reelvault.jobs.runner: job job_abc failed" in err
    messages = [r.getMessage() for r in guarded.records]
    assert "Started server process [42]" in messages


def test_warnings_go_through_the_guard(
    guarded: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        # catch_warnings restores showwarning on exit; install the capture inside it.
        logging.captureWarnings(True)
        warnings.warn(f"the prompt {SECRET} was cut", UserWarning, stacklevel=1)
    text = _everything(guarded, capfd)
    assert SECRET not in text
    (record,) = [r for r in guarded.records if r.name == "py.warnings"]
    assert record.getMessage().startswith("UserWarning at ")


def test_the_default_level_shows_no_third_party_warning_at_all(
    guarded: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("absl").warning("Logging before flag parsing goes to stderr.")
    logging.getLogger("google.protobuf").warning("SymbolDatabase.GetPrototype() is deprecated")
    _out, err = capfd.readouterr()
    assert err == ""


def test_native_library_environment_is_set_without_overriding_the_operator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in NATIVE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GLOG_minloglevel", "0")  # an operator debugging mediapipe
    with configured_logging("WARNING"):
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
        assert os.environ["DIFFUSERS_VERBOSITY"] == "error"
        assert os.environ["GLOG_minloglevel"] == "0"  # noqa: SIM112 - glog spells it so


def test_native_writes_to_fd_2_are_kept_off_the_terminal_but_python_output_is_not(
    guarded: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    with native_output_quieted():
        os.write(2, f"W0000 feedback_manager.cc:114] {SECRET}\n".encode())
        with native_output_quieted():  # nested uses share the window
            os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        print("progress 50%", file=sys.stderr)
        logging.getLogger("reelvault.jobs").warning("still shown")
    os.write(2, b"after the window\n")
    _out, err = capfd.readouterr()
    assert SECRET not in err
    assert "TensorFlow" not in err
    assert "progress 50%" in err
    assert "still shown" in err
    assert "after the window" in err
    native = [r for r in guarded.records if r.name == "native.stderr"]
    assert len(native) == 2
    assert all(r.levelno == logging.DEBUG for r in native)
    assert SECRET not in " ".join(r.getMessage() for r in native)


HF_LIBRARIES = ("diffusers", "transformers")
"""Libraries with the Hugging Face logging API (verbosity, default handler, progress bars)."""


def _own_stream_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """Handlers a library attached itself: plain StreamHandlers on its root logger."""
    return [h for h in logger.handlers if type(h) is logging.StreamHandler]


def _restore_libraries(loaded: dict[str, ModuleType]) -> Callable[[], None]:
    """Put every library's logging back as it was once the test is over."""
    loggers = {name: logging.getLogger(name) for name in loaded}
    saved = {
        name: (logger.level, list(logger.handlers), logger.propagate)
        for name, logger in loggers.items()
    }
    bars = {
        name: loaded[name].utils.logging.is_progress_bar_enabled()
        for name in HF_LIBRARIES
        if name in loaded
    }
    av_level = loaded["av"].logging.get_level() if "av" in loaded else None

    def restore() -> None:
        for name, (level, handlers, propagate) in saved.items():
            logger = loggers[name]
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate
        for name, enabled in bars.items():
            library = loaded[name].utils.logging
            (library.enable_progress_bar if enabled else library.disable_progress_bar)()
        if "av" in loaded:
            loaded["av"].logging.set_level(av_level)

    return restore


def test_loaded_libraries_are_quieted_at_the_source(
    capfd: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    loaded: dict[str, ModuleType] = {}
    for name in (*HF_LIBRARIES, "huggingface_hub", "av"):
        with contextlib.suppress(ImportError):
            loaded[name] = importlib.import_module(name)
    if not loaded:
        pytest.skip("none of the libraries whose output is quieted is installed")
    request.addfinalizer(_restore_libraries(loaded))
    # Each library as chatty as it can be left: verbose, its own stderr handler,
    # not propagating to ours, progress bars on, FFmpeg's log on.
    for name in HF_LIBRARIES:
        if name in loaded:
            library = loaded[name].utils.logging
            library.set_verbosity_info()
            library.enable_default_handler()
            library.disable_propagation()
            library.enable_progress_bar()
    if "huggingface_hub" in loaded:
        loaded["huggingface_hub"].utils.logging.set_verbosity_info()
        hub_root = logging.getLogger("huggingface_hub")
        if not _own_stream_handlers(hub_root):  # as its import leaves it
            hub_root.addHandler(logging.StreamHandler())
    if "av" in loaded:
        loaded["av"].logging.set_level(loaded["av"].logging.INFO)

    with configured_logging("WARNING"):
        for name, module in loaded.items():
            if name == "av":
                assert module.logging.get_level() is None
                continue
            library_root = logging.getLogger(name)
            assert module.utils.logging.get_verbosity() == logging.ERROR, name
            assert _own_stream_handlers(library_root) == [], name
            assert library_root.propagate, name
            if name in HF_LIBRARIES:
                assert not module.utils.logging.is_progress_bar_enabled(), name
        # What they would have printed themselves does not reach the terminal.
        capfd.readouterr()
        for name in loaded:
            logging.getLogger(f"{name}.pipeline").warning("truncated: %s", SECRET)
        _out, err = capfd.readouterr()
        assert err == ""
