"""Export (portability): a ZIP of machine-readable JSON and the owner's media, decrypted.

The archive is produced as a stream: each file is decrypted segment by segment from the
vault straight into the ZIP being sent, so no plaintext is ever written to disk and
memory stays bounded whatever the size of the media. Layout::

    data.json                      everything held (see holdings.owner_record), UTF-8 JSON
    media/<job id>/<kind>.<ext>    outputs and kept uploads, as they were stored
    media/characters/<id>.<ext>    the photo or video of each saved character
    manifest.json                  format, time, policy version, files and their sizes
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from reelvault.db.character_models import Character
from reelvault.db.models import Job, StoredObject
from reelvault.errors import KeyNotFoundError, ObjectNotFoundError
from reelvault.jobs import objects
from reelvault.media.sniff import ALL_TYPES
from reelvault.privacy import audit_log
from reelvault.privacy.holdings import owner_record
from reelvault.runtime import Runtime
from reelvault.types import ObjectId

FORMAT = "reelvault-export/1"
MEDIA_TYPE = "application/zip"
_EXTENSIONS = {media_type.mime: media_type.extension for media_type in ALL_TYPES}
_NOT_MEDIA = frozenset({objects.PROMPT, objects.JOB_PROMPT})


class _Pipe(io.RawIOBase):
    """A write-only, unseekable sink the ZIP writer fills and the response drains."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        return len(chunk)

    def drain(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


@dataclass(frozen=True)
class _Media:
    job_id: str
    object_id: str
    kind: str
    content_type: str


def _media(runtime: Runtime, owner_ids: Sequence[str]) -> list[_Media]:
    with runtime.session() as session:
        rows = session.execute(
            select(
                StoredObject.job_id, StoredObject.id, StoredObject.kind, StoredObject.content_type
            )
            .join(Job, StoredObject.job_id == Job.id)
            .where(Job.owner_id.in_(owner_ids))
            .order_by(Job.created_at, StoredObject.kind)
        ).all()
        saved = session.execute(
            select(Character.id, Character.media_object, Character.media_type)
            .where(Character.owner_id.in_(owner_ids))
            .order_by(Character.created_at, Character.id)
        ).all()
    media = [
        _Media(str(job_id), object_id, kind, content_type)
        for job_id, object_id, kind, content_type in rows
        if kind not in _NOT_MEDIA
    ]
    # A saved character's photo or video: media/characters/<character id>.<ext>
    media += [_Media("characters", object_id, char_id, mime) for char_id, object_id, mime in saved]
    return media


def _name(item: _Media) -> str:
    extension = _EXTENSIONS.get(item.content_type, "bin").lstrip(".")
    return f"media/{item.job_id}/{item.kind}.{extension}"


def stream_export(
    runtime: Runtime, owner_ids: Sequence[str], *, extra: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """The export ZIP of ``owner_ids`` as a stream of chunks (nothing written to disk).

    ``extra`` adds top-level keys to ``data.json`` (an e-mail request adds the contact
    data linked to the verified address).
    """
    pipe = _Pipe()
    now = runtime.clock()
    data: dict[str, Any] = {
        "format": FORMAT,
        "generated_at": now.isoformat(),
        "policy_version": runtime.policy.version_hash,
        "owners": [owner_record(runtime, owner_id) for owner_id in owner_ids],
        **(extra or {}),
    }
    files: list[dict[str, Any]] = []
    missing = 0
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
        )
        yield pipe.drain()
        for item in _media(runtime, owner_ids):
            name = _name(item)
            try:
                stream = runtime.vault.open_stream(ObjectId(item.object_id))
            except (KeyNotFoundError, ObjectNotFoundError):
                missing += 1  # expired or deleted since the listing: nothing to send
                continue
            size = 0
            info = zipfile.ZipInfo(name, date_time=now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED  # media is compressed already
            with stream, archive.open(info, "w", force_zip64=True) as entry:
                for chunk in stream:
                    entry.write(chunk)
                    size += len(chunk)
                    yield pipe.drain()
            files.append({"path": name, "kind": item.kind, "bytes": size})
        manifest = {
            "format": FORMAT,
            "generated_at": now.isoformat(),
            "policy_version": runtime.policy.version_hash,
            "files": [{"path": "data.json"}, *files],
            "missing": missing,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    yield pipe.drain()
    audit_log.record(runtime, "privacy.export", owners=len(owner_ids), files=len(files))


def export_bytes(runtime: Runtime, owner_ids: Sequence[str]) -> bytes:
    """The whole export in memory (tests, small exports)."""
    return b"".join(stream_export(runtime, owner_ids))


__all__ = ["FORMAT", "MEDIA_TYPE", "export_bytes", "stream_export"]
