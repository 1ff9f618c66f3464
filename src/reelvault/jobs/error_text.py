"""Job error text as its owner sees it: never a path on this server.

A job's error message is shown over the API, in webhook bodies and in the studio.
Engines and libraries word errors for operators and often name files (a model
folder, a scratch file, a key file); for a network client that would disclose the
server's layout and whether a file exists. Every path is replaced by ``[path]`` when
the message is stored (:func:`reelvault.jobs.lifecycle.finish_job`).

Nor does it quote the job's own words: a provider that refuses a prompt often says
which ("Value error, <the prompt> is not allowed"), and the row that holds the message
outlives the prompt. The prompt and the free-text parameters are replaced by
``[your text]`` (:func:`without_client_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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


TEXT_PLACEHOLDER = "[your text]"
_MIN_TEXT = 3  # shorter texts ("a", "ok") would blank out the message's own words


def without_client_text(message: str | None, texts: Iterable[str]) -> str | None:
    """``message`` with each of ``texts`` (the job's prompt, its free-text parameters),
    in any letter case, replaced by ``[your text]``; longest first, so a text that
    contains another is replaced whole."""
    if message is None:
        return None
    wanted = sorted({text.strip() for text in texts if len(text.strip()) >= _MIN_TEXT}, key=len)
    for text in reversed(wanted):
        message = re.sub(re.escape(text), TEXT_PLACEHOLDER, message, flags=re.IGNORECASE)
    return message


__all__ = ["PATH_PLACEHOLDER", "TEXT_PLACEHOLDER", "without_client_text", "without_server_paths"]
