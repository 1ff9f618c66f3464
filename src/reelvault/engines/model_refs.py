"""Which model references a network client may send: ids, never places on this disk.

The ``diffusers`` engine also takes a folder path as a model (``reelvault generate
--model /srv/weights/wan``): that is for the CLI and for the operator's own catalogue
entries (``models.yaml`` in the models folder). Over HTTP a path would let a client
probe this server's file system (whether a folder exists, what its
``model_index.json`` names) and make it load whatever weights lie there, so the API
accepts only ids: catalogue ids, Hugging Face repo ids of catalogue entries, installed
models, engine names and provider model ids.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath

from reelvault.errors import ValidationError

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


class ModelPathRefusedError(ValidationError):
    """A client named a server path as a model (400, ``param=model``)."""

    code = "model_path_not_allowed"
    http_status = 400


def names_a_server_path(model: str) -> bool:
    """True when ``model`` reads as a file-system location rather than an id.

    Absolute paths (POSIX, Windows drive or UNC), home-relative (``~``) and explicitly
    relative ones (``./``, ``../``, any ``..`` segment), backslashes and NUL bytes.
    Ids such as ``wan2.1-t2v-1.3b``, ``Wan-AI/Wan2.1-T2V-1.3B-Diffusers`` or
    ``fal-ai/kling-video/v2/master/text-to-video`` are not paths.
    """
    text = model.strip()
    if not text:
        return False
    if "\x00" in text or "\\" in text or text.startswith(("/", "~", ".")):
        return True
    if _WINDOWS_DRIVE.match(text) or PureWindowsPath(text).is_absolute():
        return True
    return ".." in PurePosixPath(text).parts


def refuse_server_path(model: object) -> None:
    """Raise :class:`ModelPathRefusedError` when a client-sent ``model`` names a path."""
    if isinstance(model, str) and names_a_server_path(model):
        raise ModelPathRefusedError(
            "model must be a model id (see GET /api/v1/engines or `reelvault models list`); "
            "folder paths are accepted only from the CLI and the operator's settings",
            param="model",
        )


__all__ = ["ModelPathRefusedError", "names_a_server_path", "refuse_server_path"]
