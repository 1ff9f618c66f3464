"""Job error text as its owner sees it: never a path on this server.

A job's error message is shown over the API, in webhook bodies and in the studio.
Engines and libraries word errors for operators and often name files (a model
folder, a scratch file, a key file); for a network client that would disclose the
server's layout and whether a file exists. Every path is replaced by ``[path]`` when
the message is stored (:func:`reelvault.jobs.service.finish_job`).
"""

from __future__ import annotations

import re

PATH_PLACEHOLDER = "[path]"

# A path starts at "/" or "\" (optionally after "~user" or a drive letter "C:") that
# does not continue a word, a URL or a number ("https://x/y", "text/video", "1/2"),
# and runs to the next space, quote or bracket.
_PATH = re.compile(r"""(?<![\w:/\\.~-])(?:~[\w.-]*|[A-Za-z]:)?[/\\][^\s'"`<>()\[\]{},;]+""")


def without_server_paths(message: str | None) -> str | None:
    """``message`` with every file-system path replaced by ``[path]``."""
    if message is None:
        return None
    return _PATH.sub(PATH_PLACEHOLDER, message)


__all__ = ["PATH_PLACEHOLDER", "without_server_paths"]
