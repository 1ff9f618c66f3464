"""Ciphertext blobs in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Backblaze B2).

One object per vault object, ``<prefix><id>``; packs stay a local-store optimisation.
The bucket only ever receives ciphertext: encryption happens before :meth:`open_write`'s
sink sees a byte, and the data keys live elsewhere (the database's key rows).

Writes are streamed: a small blob is one ``PutObject``; a larger one becomes a multipart
upload in :data:`PART_SIZE` parts, which S3 makes visible only when it is completed, and
which is aborted on any error, so a failed write leaves neither an object nor an
unfinished upload (whose parts the provider would keep, and bill, until a lifecycle rule
removed them). Reads are lazy ranged GETs from the current position, reopened where a
seek or a broken connection leaves off.

Every request is retried by botocore (``standard`` mode: exponential backoff with jitter
on throttling, 5xx and connection errors) up to ``s3_max_attempts`` tries; what still
fails becomes a :class:`StorageError` naming the operation and the S3 error code, never
the endpoint or credentials.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

from reelvault.errors import ConfigError, ObjectNotFoundError, StorageError, ValidationError
from reelvault.types import ObjectId
from reelvault.vault import _fs

if TYPE_CHECKING:
    from reelvault.config import Settings

PART_SIZE = 8 * 1024 * 1024  # S3's minimum part is 5 MiB (except the last one)
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchUpload"})
_SESSION_LOCK = threading.Lock()
# One boto3 session per process: loading the S3 service model takes a few tenths of a second.
_SESSIONS: dict[str, Any] = {}
_PROBE_TIMEOUT = 2.0  # seconds a readiness probe waits for the bucket
_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes
_PARALLEL_PUTS = 8  # botocore's default connection pool has 10
_READ_RETRIES = 3  # reopenings of a ranged GET whose connection broke mid-body


@dataclass(frozen=True)
class S3Location:
    """Where the blobs go, from ``s3://BUCKET/PREFIX?endpoint_url=...&region=...``."""

    bucket: str
    prefix: str
    endpoint_url: str | None = None
    region: str | None = None

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.hostname:
            raise ConfigError("blob_store must look like s3://BUCKET/PREFIX", param="blob_store")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint_url", "region"}
        if unknown:
            raise ConfigError(
                f"blob_store: unknown option {sorted(unknown)[0]} (endpoint_url, region)",
                param="blob_store",
            )
        prefix = parts.path.strip("/")
        return cls(
            bucket=parts.netloc,
            prefix=f"{prefix}/" if prefix else "",
            endpoint_url=query.get("endpoint_url") or None,
            region=query.get("region") or None,
        )


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", "")) or type(exc).__name__
    return type(exc).__name__


def _is_not_found(exc: BaseException) -> bool:
    return _error_code(exc) in _NOT_FOUND


def _storage_error(doing: str, exc: BaseException) -> StorageError:
    # botocore's messages can quote the endpoint URL; the code alone is what helps.
    return StorageError(f"S3: could not {doing} ({_error_code(exc)})")


def _client_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _transfer_errors() -> tuple[type[Exception], ...]:
    """What a broken connection raises while a body streams in."""
    return (*_client_errors(), OSError)


class _UploadSink:
    """Buffers up to one part; starts a multipart upload only when a part fills up."""

    def __init__(self, store: S3BlobStore, key: str) -> None:
        self._store = store
        self._key = key
        self._buffer = bytearray()
        self.upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        self._buffer += data
        while len(self._buffer) >= self._store.part_size:
            part = bytes(self._buffer[: self._store.part_size])
            del self._buffer[: self._store.part_size]
            self._upload_part(part)
        return len(data)

    def _upload_part(self, body: bytes) -> None:
        client, bucket = self._store.client, self._store.bucket
        if self.upload_id is None:
            created = client.create_multipart_upload(Bucket=bucket, Key=self._key)
            self.upload_id = str(created["UploadId"])
        number = len(self._parts) + 1
        answer = client.upload_part(
            Bucket=bucket, Key=self._key, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def finish(self) -> None:
        client, bucket = self._store.client, self._store.bucket
        if self.upload_id is None:
            client.put_object(Bucket=bucket, Key=self._key, Body=bytes(self._buffer))
            return
        if self._buffer or not self._parts:
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        client.complete_multipart_upload(
            Bucket=bucket,
            Key=self._key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def abort(self) -> None:
        """Drop the unfinished upload and its parts (best effort: the error that got us
        here is what the caller hears about)."""
        self._buffer.clear()
        if self.upload_id is not None:
            with contextlib.suppress(Exception):
                self._store.client.abort_multipart_upload(
                    Bucket=self._store.bucket, Key=self._key, UploadId=self.upload_id
                )


class _RangedReader(io.RawIOBase):
    """A seekable, read-only view of one S3 object that fetches bytes only when read.

    Reading opens a ranged GET from the current position and keeps streaming its body;
    a seek elsewhere (or a connection that breaks) closes it and the next read reopens.
    """

    def __init__(self, store: S3BlobStore, key: str, size: int) -> None:
        super().__init__()
        self._store = store
        self._key = key
        self._size = size
        self._position = 0
        self._body: Any = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        target = base + offset
        if target < 0:
            raise ValueError("negative seek position")
        if target != self._position:
            self._drop_body()
            self._position = target
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._size - self._position)
        if wanted <= 0:
            return 0
        for attempt in range(_READ_RETRIES + 1):
            try:
                if self._body is None:
                    self._body = self._store.get_range(self._key, self._position)
                data = self._body.read(wanted)
            except _transfer_errors() as exc:
                # A connection that broke mid-body: reopen from where we are.
                self._drop_body()
                if attempt == _READ_RETRIES:
                    raise _storage_error("read a blob", exc) from None
                continue
            if not data:  # the object shrank under us: say so rather than loop
                raise StorageError("S3: a blob ended before its stored size")
            view[: len(data)] = data
            self._position += len(data)
            return len(data)
        raise AssertionError  # unreachable

    def _drop_body(self) -> None:
        if self._body is not None:
            with contextlib.suppress(Exception):
                self._body.close()
            self._body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


class S3BlobStore:
    """Blobs as objects ``<prefix><id>`` in an S3-compatible bucket."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        part_size: int = PART_SIZE,
        probe_client: Any = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        # Readiness probes ask once, briefly: a store that is down must not hold them
        # through every retry of the normal client.
        self.probe_client = probe_client if probe_client is not None else client

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        if not settings.blob_store:
            raise ConfigError("blob_store is not an s3:// URL", param="blob_store")
        location = S3Location.parse(settings.blob_store)
        try:
            import boto3
            from botocore.config import Config
        except ModuleNotFoundError:
            raise ConfigError(
                "blob_store s3:// needs boto3: pip install 'reelvault[scale]'",
                param="blob_store",
            ) from None
        secret = settings.s3_secret_access_key

        def client(attempts: int, connect: float, read: float) -> Any:
            return session.client(
                "s3",
                endpoint_url=location.endpoint_url,
                region_name=location.region or settings.s3_region,
                aws_access_key_id=settings.s3_access_key_id,
                aws_secret_access_key=secret.get_secret_value() if secret is not None else None,
                config=Config(
                    retries={"mode": "standard", "total_max_attempts": attempts},
                    connect_timeout=connect,
                    read_timeout=read,
                    s3={"addressing_style": settings.s3_addressing_style},
                    # R2 and B2 reject the newer default checksum headers on some calls.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )

        with _SESSION_LOCK:  # a session is not thread-safe; its loaded models are reused
            if "default" not in _SESSIONS:
                _SESSIONS["default"] = boto3.session.Session()
            session = _SESSIONS["default"]
            connect, read = settings.s3_connect_timeout_seconds, settings.s3_read_timeout_seconds
            main = client(settings.s3_max_attempts, connect, read)
            probe = client(1, min(connect, _PROBE_TIMEOUT), min(read, _PROBE_TIMEOUT))
        return cls(main, location.bucket, location.prefix, probe_client=probe)

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def key_for(self, object_id: ObjectId) -> str:
        if not _fs.is_object_id(object_id):
            raise ValidationError("invalid object id", param="object_id")
        return f"{self.prefix}{object_id}"

    @contextlib.contextmanager
    def open_write(self, object_id: ObjectId) -> Iterator[_UploadSink]:
        sink = _UploadSink(self, self.key_for(object_id))
        try:
            yield sink
            sink.finish()
        except _client_errors() as exc:
            sink.abort()
            raise _storage_error("store a blob", exc) from None
        except BaseException:
            sink.abort()
            raise

    def write_many(self, blobs: Sequence[tuple[ObjectId, bytes]]) -> None:
        """Several PUTs at once: a batch costs about one round trip, not one per blob."""

        def put(blob: tuple[ObjectId, bytes]) -> None:
            with self.open_write(blob[0]) as sink:
                sink.write(blob[1])

        if len(blobs) <= 1:
            for blob in blobs:
                put(blob)
            return
        with ThreadPoolExecutor(min(_PARALLEL_PUTS, len(blobs))) as pool:
            for _ in pool.map(put, blobs):  # re-raises the first error
                pass

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def open_read(self, object_id: ObjectId) -> BinaryIO:
        if not _fs.is_object_id(object_id):
            raise ObjectNotFoundError("no such object", param="object_id")
        return self.open_key(self.key_for(object_id))

    def open_key(self, key: str) -> BinaryIO:
        """Any key under the prefix for reading (audits read strays too)."""
        head = self._head(key)
        if head is None:
            raise ObjectNotFoundError("no such blob")
        reader = _RangedReader(self, key, int(head["ContentLength"]))
        return io.BufferedReader(reader, buffer_size=256 * 1024)

    def get_range(self, key: str, start: int) -> Any:
        """The streaming body of ``key`` from byte ``start`` on."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={start}-")
        except _client_errors() as exc:
            if _is_not_found(exc):
                raise ObjectNotFoundError("a blob vanished while it was read") from None
            raise _storage_error("read a blob", exc) from None
        return answer["Body"]

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
        except _client_errors() as exc:
            if _is_not_found(exc):
                return None
            raise _storage_error("look up a blob", exc) from None
        return answer

    def delete(self, object_id: ObjectId) -> bool:
        if not _fs.is_object_id(object_id):
            return False
        key = self.key_for(object_id)
        existed = self._head(key) is not None
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except _client_errors() as exc:
            raise _storage_error("delete a blob", exc) from None
        return existed

    def delete_many(self, object_ids: Sequence[ObjectId]) -> set[ObjectId]:
        """One DeleteObjects request per 1,000 blobs. S3 answers "deleted" for a key that
        never existed too, so every valid id given is returned."""
        ids = [oid for oid in dict.fromkeys(object_ids) if _fs.is_object_id(oid)]
        for start in range(0, len(ids), _DELETE_BATCH):
            part = ids[start : start + _DELETE_BATCH]
            try:
                answer = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self.key_for(oid)} for oid in part], "Quiet": True},
                )
            except _client_errors() as exc:
                raise _storage_error("delete blobs", exc) from None
            errors = answer.get("Errors") or []
            if errors:
                code = str(errors[0].get("Code", "unknown"))
                raise StorageError(f"S3: could not delete {len(errors)} blob(s) ({code})")
        return set(ids)

    def reachable(self) -> bool:
        try:
            self.probe_client.head_bucket(Bucket=self.bucket)
        except _client_errors():
            return False
        return True

    def exists(self, object_id: ObjectId) -> bool:
        return _fs.is_object_id(object_id) and self._head(self.key_for(object_id)) is not None

    def object_keys(self) -> Iterator[str]:
        """Every key under the prefix, named like an object or not (for audits)."""
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for entry in page.get("Contents", ()):
                    yield str(entry["Key"])
        except _client_errors() as exc:
            raise _storage_error("list blobs", exc) from None

    def names_an_object(self, key: str) -> bool:
        """Whether ``key`` is where :meth:`key_for` puts an object (not a stray)."""
        return key.startswith(self.prefix) and _fs.is_object_id(key[len(self.prefix) :])

    def ids(self) -> Iterator[ObjectId]:
        for key in self.object_keys():
            if self.names_an_object(key):
                yield ObjectId(key[len(self.prefix) :])

    def size(self, object_id: ObjectId) -> int:
        if not _fs.is_object_id(object_id):
            raise ObjectNotFoundError("no such object", param="object_id")
        head = self._head(self.key_for(object_id))
        if head is None:
            raise ObjectNotFoundError(f"no blob for object {object_id}")
        return int(head["ContentLength"])

    def size_of(self, key: str) -> int:
        """Stored size of any key under the prefix; 0 when it is gone."""
        head = self._head(key)
        return int(head["ContentLength"]) if head is not None else 0

    def stored_at(self, object_id: ObjectId) -> float | None:
        if not _fs.is_object_id(object_id):
            return None
        head = self._head(self.key_for(object_id))
        return head["LastModified"].timestamp() if head is not None else None

    def head_of(self, key: str, size: int) -> bytes:
        """The first ``size`` bytes of any key under the prefix (for audits)."""
        try:
            answer = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes=0-{size - 1}"
            )
            return bytes(answer["Body"].read())
        except _client_errors() as exc:
            if _is_not_found(exc) or _error_code(exc) in ("InvalidRange", "416"):
                return b""  # gone meanwhile, or empty (no byte 0 to start a range at)
            raise _storage_error("read a blob", exc) from None

    def unfinished_uploads(self) -> list[str]:
        """Keys of multipart uploads begun and neither completed nor aborted."""
        try:
            answer = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix)
        except _client_errors() as exc:
            raise _storage_error("list uploads", exc) from None
        return [str(upload["Key"]) for upload in answer.get("Uploads", ())]


__all__ = ["PART_SIZE", "S3BlobStore", "S3Location"]
