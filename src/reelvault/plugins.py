"""Installed plug-ins (engines, moderators): the entry points of a group, read once.

Reading entry points scans the metadata of every installed distribution (about 15 ms
here), and a runtime is opened per CLI command, per worker process and, in the tests,
thousands of times. The answer only changes when packages are installed or the import
path changes, so it is kept per group and per ``sys.path``: a plug-in installed into a
running server is seen after a restart, as with any Python package.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points


def installed(group: str) -> tuple[EntryPoint, ...]:
    """The entry points of ``group`` on the current import path."""
    return _installed(group, tuple(sys.path))


@lru_cache(maxsize=16)
def _installed(group: str, _path: tuple[str, ...]) -> tuple[EntryPoint, ...]:
    return tuple(entry_points(group=group))


__all__ = ["installed"]
