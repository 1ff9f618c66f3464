"""Serving decrypted outputs: the right content type, HTTP Range for seeking, no caching."""

from __future__ import annotations

import re
from collections.abc import Iterator

from starlette.responses import Response, StreamingResponse

from reelvault.errors import NotFoundError, ValidationError
from reelvault.jobs import objects
from reelvault.jobs.queries import output_object
from reelvault.runtime import Runtime
from reelvault.types import ObjectId

VARIANTS = {
    "video": objects.OUTPUT_VIDEO,
    "thumbnail": objects.OUTPUT_THUMBNAIL,
    "spritesheet": objects.OUTPUT_SPRITESHEET,
}
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


class RangeNotSatisfiableError(ValidationError):
    code = "range_not_satisfiable"
    http_status = 416


# Beyond any file size; longer numbers are read as this, never converted (Python refuses
# to convert decimal strings over 4,300 digits, and a client may send millions).
_FAR = 10**18


def _position(digits: str) -> int:
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) < 18 else _FAR


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) of a single ``bytes=`` range, or None for the whole file."""
    match = _RANGE.match(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None  # unparsable or multi-range: RFC 9110 lets us send the whole file
    first, last = match.group(1), match.group(2)
    if not first:  # suffix range: the last N bytes
        length = _position(last)
        if length == 0:
            raise RangeNotSatisfiableError("empty suffix range")
        return max(0, size - length), size - 1
    start = _position(first)
    end = min(_position(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiableError(f"the range is outside the {size} bytes", param="range")
    return start, end


def _slice(chunks: Iterator[bytes], start: int, end: int) -> Iterator[bytes]:
    position = 0
    try:
        for chunk in chunks:
            chunk_end = position + len(chunk)
            if chunk_end > start and position <= end:
                yield chunk[max(0, start - position) : end - position + 1]
            position = chunk_end
            if position > end:
                break
    finally:
        close = getattr(chunks, "close", None)
        if callable(close):
            close()


def content_response(
    runtime: Runtime, job_id: str, *, owner_id: str, variant: str, range_header: str | None
) -> Response:
    kind = VARIANTS.get(variant)
    if kind is None:
        raise ValidationError(f"variant must be one of: {', '.join(VARIANTS)}", param="variant")
    try:
        row = output_object(runtime, job_id, kind=kind, owner_id=owner_id)
    except NotFoundError:
        raise
    object_id = ObjectId(row.id)
    size = row.plaintext_size
    headers = {**NO_STORE, "Accept-Ranges": "bytes"}
    if variant == "video":
        extension = "webm" if row.content_type == "video/webm" else "mp4"
        headers["Content-Disposition"] = f'inline; filename="{job_id}.{extension}"'
    byte_range = _parse_range(range_header, size) if range_header else None
    chunks = runtime.vault.open_stream(object_id)
    if byte_range is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(chunks, media_type=row.content_type, headers=headers)
    start, end = byte_range
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(
        _slice(chunks, start, end), status_code=206, media_type=row.content_type, headers=headers
    )


__all__ = ["VARIANTS", "content_response"]
