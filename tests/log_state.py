"""Configure logging as an entry point does, and put everything back afterwards.

``configure_logging`` changes process-wide state (the record factory, root handlers and
level, warnings capture, library verbosity); a test that calls it must not leave that
behind for the tests after it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from reelvault.logs import LogFormat, configure_logging


@contextmanager
def configured_logging(level: str = "DEBUG", fmt: LogFormat = "text") -> Iterator[None]:
    root = logging.getLogger()
    factory = logging.getLogRecordFactory()
    handlers, root_level = list(root.handlers), root.level
    formatters = [(handler, handler.formatter) for handler in handlers]
    showwarning = warnings.showwarning
    configure_logging(level, fmt)
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)
        for handler, formatter in formatters:
            handler.setFormatter(formatter)
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(root_level)
        logging.captureWarnings(False)
        warnings.showwarning = showwarning


__all__ = ["configured_logging"]
