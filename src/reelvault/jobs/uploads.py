"""Uploads go straight into the vault while they are read: never whole in memory, never
plaintext on disk. The type is decided from the bytes, and the size limit is enforced
while streaming. What an upload declares (an image's pixels, a video's sides, length and
frames) is checked before anything is stored; a video is first held in an unnamed file
in scratch space for that, since an MP4 may declare it all in its last bytes."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationError
from reelvault.media import bvh
from reelvault.media.image_header import IMAGE_HEAD_BYTES, check_declared_size
from reelvault.media.sniff import SNIFF_BYTES, MediaType, sniff
from reelvault.media.validate import MediaLimits
from reelvault.media.video_header import check_declared_video
from reelvault.runtime import Runtime, ensure_scratch_root
from reelvault.types import ObjectId, new_object_id
from reelvault.vault.vault import StoredObject

INPUT_KINDS: dict[str, tuple[str, ...]] = {
    "image": ("image",),
    "reference_video": ("video", "motion"),
    "source_video": ("video",),  # a video to extend or edit, sent as a file
    "character": ("image", "video"),  # a person's appearance, saved under a name
}
"""Input name -> the kinds of media it may be (a dance's reference: a video, or a BVH
motion-capture file for the engines that read one)."""
_WHAT = {
    "image": "an image (JPEG, PNG or WebP)",
    "reference_video": "a video (MP4, MOV, WebM or MKV) or a BVH motion file",
    "source_video": "a video (MP4, MOV, WebM or MKV)",
    "character": "an image (JPEG, PNG or WebP) or a video (MP4, MOV, WebM or MKV)",
}


@dataclass(frozen=True)
class UploadedInput:
    """An upload already encrypted in the vault, not yet attached to a job."""

    name: str
    object_id: ObjectId
    media_type: MediaType
    size: int


class _Limited:
    """Pass chunks through, counting bytes and refusing past ``limit``."""

    def __init__(self, head: bytes, rest: Iterator[bytes], limit: int, name: str) -> None:
        self.head = head
        self.rest = rest
        self.limit = limit
        self.name = name
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        yield from self._count(self.head)
        for chunk in self.rest:
            yield from self._count(chunk)

    def _count(self, chunk: bytes) -> Iterator[bytes]:
        self.size += len(chunk)
        if self.size > self.limit:
            raise PayloadTooLargeError(
                f"{self.name} is larger than the limit of {self.limit} bytes", param=self.name
            )
        if chunk:
            yield chunk


def _read_head(chunks: Iterator[bytes], wanted: int = SNIFF_BYTES) -> bytes:
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= wanted:
            break
    return b"".join(parts)


@contextlib.contextmanager
def spooled(runtime: Runtime, chunks: Iterable[bytes]) -> Iterator[BinaryIO]:
    """``chunks`` in a file in scratch space that has no name (gone when closed, or when
    the process dies), so no sweep, listing or crash leaves the plaintext behind; the
    scratch root is in memory by default."""
    root = ensure_scratch_root(runtime.settings)
    with tempfile.TemporaryFile(dir=root) as spool:
        for chunk in chunks:
            spool.write(chunk)
        spool.flush()
        yield spool


def _put(runtime: Runtime, source: Iterator[bytes] | BinaryIO, object_id: ObjectId) -> StoredObject:
    try:
        return runtime.vault.put_stream(source, object_id=object_id)
    except BaseException:
        runtime.vault.shred(object_id)
        raise


def store_upload(
    runtime: Runtime, name: str, chunks: Iterable[bytes], *, max_bytes: int
) -> UploadedInput:
    """Check and encrypt one upload. Raises 415 for a wrong type, 413 past ``max_bytes``."""
    kinds = INPUT_KINDS.get(name)
    if kinds is None:
        raise ValidationError(f"unknown input {name!r}", param=name)
    iterator = iter(chunks)
    head = _read_head(iterator)
    if not head:
        raise ValidationError(f"{name} is empty", param=name)
    media_type = sniff(head)
    if media_type is None or media_type.kind not in kinds:
        raise UnsupportedMediaError(f"{name} must be {_WHAT[name]}", param=name)
    expected = media_type.kind
    if expected == "image":
        # The declared size is checked before anything is stored (a decompression bomb
        # is a few hundred bytes): read on until the header is in, within the byte limit.
        wanted = min(IMAGE_HEAD_BYTES, max_bytes + 1)
        if len(head) < wanted:
            head += _read_head(iterator, wanted - len(head))
        check_declared_size(head, name)
    limited = _Limited(head, iterator, max_bytes, name)
    object_id = new_object_id()
    if expected in ("video", "motion"):
        # What a video declares (size, length, frames) may be in its last bytes (MP4's
        # moov is often at the end), and a BVH file's frames are all checked: the whole
        # upload is read before anything is stored.
        with spooled(runtime, limited) as spool:
            if expected == "video":
                check_declared_video(spool, name)
            else:
                check_motion(spool, name)
            spool.seek(0)
            stored = _put(runtime, spool, object_id)
    else:
        stored = _put(runtime, iter(limited), object_id)
    runtime.metrics.upload_stored(media_type.kind, stored.plaintext_size)
    return UploadedInput(
        name=name, object_id=stored.object_id, media_type=media_type, size=stored.plaintext_size
    )


def check_motion(spool: BinaryIO, name: str) -> None:
    """Parse a BVH upload with the workers' limits (content, size, frames, length)."""
    limit = bvh.max_bytes(MediaLimits())
    spool.seek(0)
    data = spool.read(limit + 1)
    try:
        bvh.parse_bvh(data, MediaLimits())
    except ValidationError as exc:
        exc.param = name
        raise


def discard_uploads(runtime: Runtime, uploads: Iterable[UploadedInput]) -> None:
    """Shred uploads that will not become part of a job (a refused request)."""
    for upload in uploads:
        runtime.vault.shred(upload.object_id)


__all__ = ["INPUT_KINDS", "UploadedInput", "discard_uploads", "spooled", "store_upload"]
