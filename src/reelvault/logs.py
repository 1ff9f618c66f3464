"""Logging for every entry point: our records as written, third-party text withheld.

Third-party libraries put user text in their logs: diffusers warns when a tokenizer
truncates a prompt and quotes the cut-off part, httpx logs request URLs (webhook
addresses), uvicorn logs request lines, warnings quote their arguments, exception
messages quote inputs. Reviewing each library is a losing game, so the rule is
structural and applies to every record whatever handler receives it: a record whose
logger is not ours (``reelvault.*``) keeps its logger name and level but its text is
replaced by a fixed sentence, its traceback keeps the frames but not the exception's
message (so does a traceback our own code logs: an exception's message is not ours),
and below ERROR it is demoted to DEBUG (on the terminal at the default level a
library's warnings are noise; at DEBUG an operator still sees that something happened
and where). The rule lives in the log record factory, not in a handler filter, so it
also covers handlers that libraries or test tools attach themselves.

Libraries that print directly (diffusers' and transformers' own stderr handlers and
progress bars, PyAV's FFmpeg log, the C++ loggers of mediapipe, TF Lite and absl) are
silenced at the source: environment variables before they load, their verbosity APIs
once they have, and :func:`native_output_quieted` around native code that writes to
file descriptor 2 whatever it is told.

:func:`configure_logging` is called once at the start of every process we own (the
CLI, ``reelvault serve``, spawned worker processes); :func:`guard_log_records` alone by
code that runs inside someone else's process (the app factory). Both are idempotent.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import re
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any, Literal, TextIO

OWN_LOGGER = "reelvault"

WITHHELD = "%s withheld (third-party log text may quote user input)"
"""The message every third-party record is given; its argument is the original level."""

SAFE_THIRD_PARTY: frozenset[tuple[str, str]] = frozenset(
    {
        # uvicorn's lifecycle lines: fixed text, the only argument is a process id.
        ("uvicorn.error", "Started server process [%d]"),
        ("uvicorn.error", "Waiting for application startup."),
        ("uvicorn.error", "Application startup complete."),
        ("uvicorn.error", "Shutting down"),
        ("uvicorn.error", "Waiting for application shutdown."),
        ("uvicorn.error", "Application shutdown complete."),
        ("uvicorn.error", "Finished server process [%d]"),
    }
)
"""Third-party (logger, message template) pairs known to carry no user text."""

NATIVE_ENVIRONMENT = {
    # glog and TensorFlow's C++ logger: errors only (2 = ERROR; TF's 3 = none below FATAL).
    "GLOG_minloglevel": "2",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    # Read by diffusers, transformers and huggingface_hub when they are first imported.
    "DIFFUSERS_VERBOSITY": "error",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "HF_HUB_VERBOSITY": "error",
}
"""Set (unless the operator set them) before any of these libraries is loaded."""

QUIET_LOGGERS = ("PIL", "httpx", "httpcore", "urllib3", "absl", "asyncio", "multipart")
"""Chatty third-party loggers kept at WARNING: at DEBUG their records would only add
lines of withheld text."""

_FORMAT = "%(levelname)s %(name)s: %(message)s"
_NATIVE_LOGGER = "native.stderr"
_NATIVE_ERROR = re.compile(r"^(?:[EF]\d{4} |ERROR|FATAL|F\d|Check failed)")
_WARNING_PREFIX = re.compile(r"^(?P<where>.*?:\d+): (?P<category>\w+):")


def is_own(logger_name: object) -> bool:
    return isinstance(logger_name, str) and (
        logger_name == OWN_LOGGER or logger_name.startswith(OWN_LOGGER + ".")
    )


def _traceback_without_messages(exc_info: Any) -> str:
    """The frames of a traceback (code locations only) and the exception's type."""
    exc_type, _exc, tb = exc_info
    frames = "".join(traceback.format_tb(tb)) if isinstance(tb, TracebackType) else ""
    name = getattr(exc_type, "__qualname__", "Exception")
    return f"Traceback (most recent call last):\n{frames}{name} (message withheld)"


def withhold_third_party_text(record: logging.LogRecord) -> logging.LogRecord:
    """Replace the text of a record that is not ours; ours and known-safe ones pass.

    The one enforcing function of "no user text in logs, third-party included".
    """
    if is_own(record.name) or (
        isinstance(record.msg, str) and (record.name, record.msg) in SAFE_THIRD_PARTY
    ):
        # Our text is as written, but an exception's message is not ours even when our
        # code logs it (a library quoting the prompt it refused): frames and type only.
        if record.exc_info:
            record.exc_text = _traceback_without_messages(record.exc_info)
            record.exc_info = None
        return record
    high = isinstance(record.levelno, int) and record.levelno >= logging.ERROR
    what = "message" if high else str(record.levelname)
    if record.name == "py.warnings":
        # captureWarnings logs "file:line: Category: text\n  source"; keep where and what.
        found = _WARNING_PREFIX.match(str(record.msg))
        if found:
            what = f"{found['category']} at {found['where']}"
    record.msg = WITHHELD
    record.args = (what,)
    if record.exc_info:
        record.exc_text = _traceback_without_messages(record.exc_info)
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = "(traceback withheld)"
    if not high:
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
    return record


class _GuardedFactory:
    """Wraps the log record factory so every record passes the guard when it is made."""

    def __init__(self, wrapped: Callable[..., logging.LogRecord]) -> None:
        self.wrapped = wrapped

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return withhold_third_party_text(self.wrapped(*args, **kwargs))


def guard_log_records() -> None:
    """Install the guard for every record made in this process, route warnings to
    logging, and quiet the third-party libraries already loaded. Idempotent."""
    _set_native_environment()
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _GuardedFactory):
        logging.setLogRecordFactory(_GuardedFactory(factory))
    logging.captureWarnings(True)
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
    quiet_loaded_libraries()


SAFE_FIELDS: frozenset[str] = frozenset(
    {"job_id", "engine", "state", "outcome", "worker", "status_code", "duration_s"}
)
"""``extra=`` fields a JSON line may carry: ids, names and numbers our code sets. Any
other attribute a record has (a library's, or a careless ``extra={"prompt": ...}``) is
left out."""

_SAFE_VALUE_TYPES = (int, float, bool)
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and only safe fields.

    The record has passed the guard already (third-party text withheld), so the message
    is what a text line would show; the JSON form adds no field a text line lacks except
    those in :data:`SAFE_FIELDS`, and those only as numbers or short identifiers.
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in sorted(SAFE_FIELDS):
            value = record.__dict__.get(name)
            if isinstance(value, _SAFE_VALUE_TYPES) or (
                isinstance(value, str)
                and _IDENTIFIER.fullmatch(value)
                and not _is_ip_address(value)  # looks like an identifier, but is personal
            ):
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


LogFormat = Literal["text", "json"]


def _formatter(fmt: LogFormat) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else logging.Formatter(_FORMAT)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (see native_output_quieted)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(_formatter("text"))

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(level: str | int = logging.WARNING, fmt: LogFormat = "text") -> None:
    """Set up logging for a process we own: the guard, one stderr handler, ``level``,
    lines as text or JSON (``log_format``)."""
    guard_log_records()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        root.addHandler(handler)
    handler.setFormatter(_formatter(fmt))
    root.setLevel(level)
    # The handler's level too: a third-party record demoted to DEBUG by the guard was
    # made at its original level, so only the handler can still turn it away.
    handler.setLevel(level)


def _set_native_environment() -> None:
    for name, value in NATIVE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def quiet_loaded_libraries() -> None:
    """Verbosity, default handlers and progress bars of the libraries loaded so far.

    Their own stderr handlers go (records propagate to ours, through the guard), so do
    their progress bars; huggingface_hub keeps its download bars (``models pull`` shows
    them, and they name model files only).
    """
    for name in ("diffusers", "transformers"):
        module = sys.modules.get(name)
        if module is None:
            continue
        library_logging = getattr(getattr(module, "utils", None), "logging", None)
        if library_logging is None:
            continue
        library_logging.set_verbosity_error()
        with contextlib.suppress(AssertionError):  # already removed
            library_logging.disable_default_handler()
        library_logging.enable_propagation()
        library_logging.disable_progress_bar()
    hub = sys.modules.get("huggingface_hub")
    if hub is not None:
        hub.utils.logging.set_verbosity_error()
        # Its import adds a plain StreamHandler bound to the stderr of that moment, past
        # our handler's level; records go to ours instead (through the guard).
        hub_root = logging.getLogger("huggingface_hub")
        for handler in list(hub_root.handlers):
            if type(handler) is logging.StreamHandler:
                hub_root.removeHandler(handler)
        hub_root.propagate = True
    av = sys.modules.get("av")
    if av is not None:
        # FFmpeg's log quotes file metadata; PyAV keeps it off by default, and so do we.
        av.logging.set_level(None)


_native_lock = threading.Lock()
_native_depth = 0
_native_state: tuple[int, IO[bytes], TextIO | None, TextIO | None] | None = None


def _enter_native_window() -> None:
    global _native_depth, _native_state
    with _native_lock:
        _native_depth += 1
        if _native_depth > 1:
            return
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        try:
            saved_fd = os.dup(2)
        except OSError:  # no stderr at all (a detached daemon): nothing to quiet
            return
        sink = tempfile.TemporaryFile()  # noqa: SIM115 - unlinked at once; closed on leaving
        os.dup2(sink.fileno(), 2)
        previous: TextIO | None = None
        replacement: TextIO | None = None
        # Python's own writes (log lines, the CLI's progress bar) keep going to the real
        # stderr; only a stream that is fd 2 itself needs moving (test captures are not).
        with contextlib.suppress(Exception):
            if sys.stderr.fileno() == 2:
                previous = sys.stderr
                replacement = open(  # noqa: SIM115 - closed when the window ends
                    saved_fd,
                    "w",
                    encoding=sys.stderr.encoding,
                    errors="backslashreplace",
                    closefd=False,
                    buffering=1,
                )
                sys.stderr = replacement
        _native_state = (saved_fd, sink, previous, replacement)


def _leave_native_window() -> None:
    global _native_depth, _native_state
    with _native_lock:
        _native_depth -= 1
        if _native_depth > 0 or _native_state is None:
            return
        saved_fd, sink, previous, replacement = _native_state
        _native_state = None
        if replacement is not None:
            with contextlib.suppress(Exception):
                replacement.flush()
            if sys.stderr is replacement:
                sys.stderr = previous
            replacement.close()
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        sink.seek(0)
        captured = sink.read(64 * 1024).decode("utf-8", "replace")
        sink.close()
    log = logging.getLogger(_NATIVE_LOGGER)
    for line in captured.splitlines():
        if line.strip():
            # Through the guard like any third-party record: level kept, text withheld.
            log.log(logging.ERROR if _NATIVE_ERROR.match(line) else logging.WARNING, "%s", line)


@contextlib.contextmanager
def native_output_quieted() -> Iterator[None]:
    """Run native code whose C++ loggers write straight to file descriptor 2.

    mediapipe's TF Lite and absl loggers print on stderr and cannot be configured from
    Python (the glog and TF environment variables do not reach them). For the duration,
    fd 2 goes to a private temporary file and ``sys.stderr`` to the real stderr, so the
    CLI's progress bar and our log lines still show; what the library printed becomes
    log records (through the guard) afterwards. Nested and concurrent uses share one
    window.
    """
    _enter_native_window()
    try:
        yield
    finally:
        _leave_native_window()


__all__ = [
    "NATIVE_ENVIRONMENT",
    "OWN_LOGGER",
    "SAFE_FIELDS",
    "SAFE_THIRD_PARTY",
    "WITHHELD",
    "JsonFormatter",
    "LogFormat",
    "configure_logging",
    "guard_log_records",
    "is_own",
    "native_output_quieted",
    "quiet_loaded_libraries",
    "withhold_third_party_text",
]
