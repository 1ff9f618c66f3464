"""``POST /api/v1/provenance/verify``: content credentials and watermark of an uploaded file.

The upload is not a job input and is never stored in the vault: it is streamed into a
private (0700) scratch directory of its own, verified there, and the directory is removed
whatever happens (success, bad input, client gone). The size limit
(``max_video_bytes``) is enforced while the bytes arrive, so an oversized body never
reaches the disk whole.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from python_multipart.multipart import MultipartParser, parse_options_header

from reelvault.accounts.scopes import VIDEOS_READ
from reelvault.errors import PayloadTooLargeError, ReelvaultError, ValidationError
from reelvault.http.deps import Ctx, Owner, require_scope
from reelvault.http.error_schema import ErrorOut
from reelvault.media.provenance import verify_file
from reelvault.private_files import ensure_private_dir

if TYPE_CHECKING:  # a typing-only name in python-multipart
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter(prefix="/api/v1/provenance", tags=["provenance"])

FILE_FIELD = "file"
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 413, 415, 422)
}
VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {FILE_FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


class _FileWriter:
    """Push-parser callbacks that write the one ``file`` part to ``path``, size-limited."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.size = 0
        self.seen_file = False
        self.ended = False
        self._handle: BinaryIO | None = None
        self._in_file = False
        self._headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = {}

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        self._in_file = name == FILE_FIELD
        if self._in_file:
            if self.seen_file:
                raise ValidationError("send one file to verify", param=FILE_FIELD)
            self.seen_file = True
            self._handle = self.path.open("xb")
            self.path.chmod(0o600)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._in_file or self._handle is None:
            return  # other fields carry nothing this endpoint uses
        self.size += end - start
        if self.size > self.max_bytes:
            raise PayloadTooLargeError(
                f"the file is larger than {self.max_bytes} bytes", param=FILE_FIELD
            )
        self._handle.write(data[start:end])

    def _part_end(self) -> None:
        self._in_file = False
        self.close()

    def _end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


async def _receive(request: Request, path: Path, max_bytes: int) -> None:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ValidationError("expected multipart/form-data with a boundary")
    writer = _FileWriter(path, max_bytes)
    parser = MultipartParser(boundary, cast("MultipartCallbacks", writer.callbacks()))
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except ReelvaultError:
                raise
            except Exception:
                raise ValidationError("the multipart body is malformed") from None
    finally:
        writer.close()
    if not writer.ended:
        raise ValidationError("the multipart body is incomplete")
    if not writer.seen_file or writer.size == 0:
        raise ValidationError(f"no file in the {FILE_FIELD!r} field", param=FILE_FIELD)


@router.post(
    "/verify",
    dependencies=[require_scope(VIDEOS_READ)],
    responses=ERRORS,
    openapi_extra=VERIFY_BODY,
    summary="Verify a file's content credentials (C2PA) and invisible watermark",
)
async def verify(request: Request, ctx: Ctx, owner: Owner) -> dict[str, Any]:
    """Multipart upload with one ``file`` (MP4, WebP, JPEG or PNG). Returns what the
    manifest says (absent / valid / invalid, signer, claims) and whether the watermark of
    this deployment is in the pixels — also when the manifest was stripped."""
    settings = ctx.runtime.settings
    ensure_private_dir(settings.scratch_dir)
    directory = Path(tempfile.mkdtemp(prefix="verify-", dir=settings.scratch_dir))
    try:
        path = directory / "upload"
        await _receive(request, path, settings.max_video_bytes)
        report = await run_in_threadpool(verify_file, path, settings)
        return report.to_dict()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


__all__ = ["router"]
