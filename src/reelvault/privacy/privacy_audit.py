"""``reelvault privacy audit``: prove on a live deployment that the policy is kept.

Scans the database (its raw files: main file with its free pages, WAL and shared memory;
and every text column through SQL), the vault (with ``blob_store = s3://...``, every
object under the bucket's prefix and its unfinished uploads too), scratch space, log
directories, the models and provenance folders and any extra file or folder the operator
names (an stderr capture of the service), and reports:

========================  ================================================================
``raw_ip``                an IPv4/IPv6 address in plaintext (database, logs, scratch)
``email``                 an e-mail address in plaintext
``prompt_text``           the text of a stored prompt found outside the vault
``marker``                a text the operator asked to look for (``--marker``) found
                          outside the vault (a marker planted in every field a client sends)
``unencrypted_media``     a vault blob without the encryption header, media signatures
                          (MP4, JPEG, PNG, WebP, x264) in plaintext, stale scratch folders
``expired``               rows or objects past ``expires_at`` (beyond a grace period)
``orphan``                ciphertext without key, key without ciphertext, vault objects no
                          row refers to, object rows whose object is gone; in a bucket:
                          objects not named like a vault object, unfinished uploads
``biometric``             persisted landmarks, keypoints or embeddings (``.npy``/``.npz``
                          files, JSON with such keys, suspicious database columns)
``audit_chain``           a break in the hash-chained audit log
========================  ================================================================

Findings say where and what kind, never the text found (an audit report must not become
a copy of the personal data it found). Prompts are recognised by decrypting the prompts
the vault still holds and searching for each in full (and for its first and its last 48
characters: a copy cut short is still a copy), in every file and every text column, so no
guessing is needed. Files are read in chunks that overlap by the longest text searched for
(:mod:`reelvault.privacy.text_search`): big media is never read whole, and a text cut by a
chunk border is still found. Weights, provenance keys and vault ciphertext are searched for
the texts only (their bytes would look like addresses and media by chance).
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, LargeBinary, MetaData, String, Table, Text, func, inspect, select

from reelvault.db.base import Base
from reelvault.db.models import Job, StoredObject
from reelvault.db.references import vault_references
from reelvault.errors import VaultError
from reelvault.jobs import objects
from reelvault.privacy import audit_log
from reelvault.privacy.restrict import not_held_by_restriction, restricted_owner_ids
from reelvault.privacy.text_search import (
    Needles,
    chunks,
    search_file,
    search_stream,
    search_values,
)
from reelvault.runtime import Runtime
from reelvault.types import TERMINAL_STATUSES, JobStatus, ObjectId
from reelvault.vault.stores.s3 import S3BlobStore

KINDS = (
    "raw_ip",
    "email",
    "prompt_text",
    "marker",
    "unencrypted_media",
    "expired",
    "orphan",
    "biometric",
    "audit_chain",
)
VAULT_MAGIC = b"RVLT"
MEDIA_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "MP4": (b"ftypisom", b"ftypmp42", b"ftypiso5", b"ftypavc1", b"ftypM4V"),
    "JPEG": (b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\xff\xd8\xff\xdb", b"\xff\xd8\xff\xe1"),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "WebP": (b"WEBPVP8",),
    "H.264 stream": (b"x264 - core",),
}
BIOMETRIC_SUFFIXES = frozenset({".npy", ".npz"})
BIOMETRIC_KEYS = re.compile(
    rb'"(?:pose_)?(?:face_)?(?:landmarks|keypoints|faceprint|face_embedding|embedding'
    rb'|face_boxes|face_box|segmentation_mask)"\s*:'
)
BIOMETRIC_COLUMN = re.compile(
    r"landmark|keypoint|faceprint|face_?box|embedding|biometric|segmentation", re.IGNORECASE
)
_RUNS = re.compile(rb"[\x20-\x7e]{6,}")
_IPV4 = re.compile(
    rb"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    rb"(?![\d.])"
)
_IPV6 = re.compile(rb"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
_EMAIL = re.compile(
    rb"(?<![\w.+-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    rb"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b"
)
_CHUNK = 16 * 1024 * 1024
_OVERLAP = 4096
_MIN_PROMPT = 8
_PREFIX = 48  # characters at each end of a long prompt searched for on their own
_MARKER = "marker:"
_PROMPT = "prompt:"


@dataclass(frozen=True)
class Finding:
    kind: str
    where: str
    detail: str


@dataclass
class AuditResult:
    findings: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0
    vault_objects: int = 0
    prompts_checked: int = 0

    @property
    def clean(self) -> bool:
        return not self.findings

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for f in self.findings if f.kind == kind) for kind in KINDS}

    def to_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "counts": self.counts(),
            "findings": [vars(finding) for finding in self.findings],
            "files_scanned": self.files_scanned,
            "bytes_scanned": self.bytes_scanned,
            "vault_objects": self.vault_objects,
            "prompts_checked": self.prompts_checked,
        }


# -- what to scan ---------------------------------------------------------------------------


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _text_only_dirs(runtime: Runtime) -> list[Path]:
    """Folders whose bytes are ciphertext, weights or keys: searched for the texts only."""
    settings = runtime.settings
    return [settings.vault_dir, settings.resolved_models_dir, settings.resolved_provenance_dir]


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
    elif root.is_dir():
        yield from (path for path in sorted(root.rglob("*")) if path.is_file())


def _plaintext_files(runtime: Runtime, log_dirs: Sequence[Path], live: set[str]) -> Iterator[Path]:
    """Every file that is not vault ciphertext, weights or the key file; each once."""
    settings = runtime.settings
    skip_dirs = _text_only_dirs(runtime)
    skip_files = {settings.resolved_key_file.resolve()}
    roots = [settings.data_dir, *log_dirs]
    if not _is_within(settings.scratch_dir, settings.data_dir):
        roots.append(settings.scratch_dir)  # RAM-backed by default, outside data_dir
    database = _database_file(runtime)
    if database is not None and not _is_within(database, settings.data_dir):
        # A database kept elsewhere: its file, WAL and shared-memory file.
        roots += [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
    seen: set[Path] = set()
    for root in roots:
        for path in _files_under(root):
            resolved = path.resolve()
            if resolved in seen or resolved in skip_files:
                continue
            seen.add(resolved)
            if any(_is_within(path, skip) for skip in skip_dirs):
                continue
            if _is_within(path, settings.scratch_dir):
                job_dir = path.relative_to(settings.scratch_dir).parts[0]
                if job_dir in live:
                    continue  # a running job's decrypted inputs: expected, removed at its end
            yield path


def _database_file(runtime: Runtime) -> Path | None:
    """The SQLite file, where the database is one (its raw pages are searched too)."""
    url = runtime.db.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _valid_ip(text: bytes) -> bool:
    try:
        address = ipaddress.ip_address(text.decode("ascii"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif text.count(b":") < 7 and b"::" not in text:
            return False
        elif not any(address in block for block in _CLIENT_IPV6):
            # Random bytes in a binary file (a database page) spell "a::b" now and then;
            # a client's address is global unicast or unique-local.
            return False
    return not (address.is_loopback or address.is_unspecified or address.is_link_local)


def _patterns_in(data: bytes) -> set[tuple[str, str]]:
    """(kind, detail) of each personal-data pattern in ``data``: media, landmarks, addresses."""
    kinds: set[tuple[str, str]] = set()
    for name, signatures in MEDIA_SIGNATURES.items():
        if any(signature in data for signature in signatures):
            kinds.add(("unencrypted_media", f"{name} data in plaintext"))
    if BIOMETRIC_KEYS.search(data):
        kinds.add(("biometric", "landmark, keypoint or embedding data"))
    for run in _RUNS.findall(data):
        if _EMAIL.search(run):
            kinds.add(("email", "an e-mail address in plaintext"))
        for match in _IPV4.findall(run):
            if _valid_ip(match):
                kinds.add(("raw_ip", "an IPv4 address in plaintext"))
        if b"::" in run or run.count(b":") >= 7:
            for match in _IPV6.findall(run):
                if _valid_ip(match):
                    kinds.add(("raw_ip", "an IPv6 address in plaintext"))
    return kinds


def _as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "replace")
    return json.dumps(value).encode()  # a JSON column's value


_CLIENT_IPV6 = (ipaddress.IPv6Network("2000::/3"), ipaddress.IPv6Network("fc00::/7"))


# -- the checks -----------------------------------------------------------------------------


class _Auditor:
    def __init__(
        self,
        runtime: Runtime,
        grace: timedelta,
        log_dirs: Sequence[Path],
        *,
        markers: Sequence[str] = (),
        also: Sequence[Path] = (),
    ) -> None:
        self.runtime = runtime
        self.grace = grace
        self.log_dirs = list(log_dirs)
        self.also = list(also)
        self.markers = [marker for marker in markers if marker]
        self.result = AuditResult()
        self.now = runtime.clock()

    def add(self, kind: str, where: str, detail: str) -> None:
        self.result.findings.append(Finding(kind, where, detail))

    def where(self, path: Path) -> str:
        settings = self.runtime.settings
        roots = [
            *_text_only_dirs(self.runtime),
            settings.data_dir,
            settings.scratch_dir,
            *self.log_dirs,
            *(root for root in self.also if root.is_dir()),
        ]
        for root in roots:
            if _is_within(path, root):
                return f"{root.name}/{path.resolve().relative_to(root.resolve())}"
        return path.name

    # prompts kept in the vault are the needles: they must never appear anywhere else
    def needles(self) -> Needles:
        with self.runtime.session() as session:
            ids = list(
                session.scalars(
                    select(StoredObject.id).where(
                        StoredObject.kind.in_((objects.PROMPT, objects.JOB_PROMPT))
                    )
                )
            )
        needles = Needles()
        for object_id in ids:
            try:
                data = json.loads(self.runtime.vault.read_bytes(ObjectId(object_id)))
            except (VaultError, ValueError):
                continue
            if not isinstance(data, dict):
                continue
            # The prompt and the free-text parameters kept with it (a negative prompt).
            free_text = data.get("free_text")
            for text in objects.text_values([data.get("prompt"), free_text or {}]):
                text = text.strip()
                if len(text) >= _MIN_PROMPT:
                    needles.add(_PROMPT, text)
                    if len(text) > _PREFIX:
                        # A copy cut short (a log line's limit) is still a copy, at
                        # either end.
                        needles.add(_PROMPT, text[:_PREFIX])
                        needles.add(_PROMPT, text[-_PREFIX:])
        for number, marker in enumerate(self.markers, start=1):
            needles.add(f"{_MARKER}{number}", marker)
        self.result.prompts_checked = len(ids)
        return needles

    def report_texts(self, where: str, names: set[str]) -> None:
        if _PROMPT in names:
            self.add("prompt_text", where, "the text of a stored prompt")
        for name in sorted(name for name in names if name.startswith(_MARKER)):
            self.add("marker", where, f"marker {name.removeprefix(_MARKER)}")

    def live_jobs(self) -> set[str]:
        with self.runtime.session() as session:
            return set(
                session.scalars(
                    select(Job.id).where(
                        Job.status == JobStatus.IN_PROGRESS.value,
                        Job.lease_expires_at.is_not(None),
                        Job.lease_expires_at >= self.now,
                    )
                )
            )

    def scan_files(self) -> None:
        needles = self.needles()
        live = self.live_jobs()
        scratch = self.runtime.settings.scratch_dir
        if scratch.is_dir():
            for entry in scratch.iterdir():
                if entry.name not in live:
                    self.add("unencrypted_media", self.where(entry), "a stale scratch folder")
        for path in _plaintext_files(self.runtime, [*self.log_dirs, *self.also], live):
            self.result.files_scanned += 1
            self.scan_file(path, needles)
        self.scan_text_only(needles)
        self.scan_bucket(needles)
        self.scan_columns(needles)

    def scan_text_only(self, needles: Needles) -> None:
        """Vault, weights and provenance: no plaintext of a client's words either."""
        if not needles:
            return
        seen: set[Path] = set()
        for root in _text_only_dirs(self.runtime):
            for path in _files_under(root):
                if path.resolve() in seen:
                    continue
                seen.add(path.resolve())
                self.result.files_scanned += 1
                self.result.bytes_scanned += path.stat().st_size
                self.report_texts(self.where(path), search_file(path, needles))

    def scan_columns(self, needles: Needles) -> None:
        """Every text column through SQL (names the table; a non-SQLite database too).

        A server database (PostgreSQL) has no file here to read byte for byte, so its
        values are also searched for what the file scan finds: addresses, media, landmarks.
        """
        patterns = _database_file(self.runtime) is None
        if not needles and not patterns:
            return
        inspector = inspect(self.runtime.db)
        with self.runtime.db.connect() as connection:
            for table_name in inspector.get_table_names():
                table = Table(table_name, MetaData(), autoload_with=connection)
                for column in table.columns:
                    if not isinstance(column.type, String | Text | JSON | LargeBinary):
                        continue
                    rows = connection.execute(select(column).where(column.is_not(None))).yield_per(
                        1000
                    )
                    where = f"database/{table_name}.{column.name}"
                    found: set[str] = set()
                    kinds: set[tuple[str, str]] = set()
                    for partition in rows.partitions():
                        values = [row[0] for row in partition]
                        if needles:
                            found |= search_values(values, needles)
                        if patterns:
                            for value in values:
                                kinds |= _patterns_in(_as_bytes(value))
                    self.report_texts(where, found)
                    for kind, detail in sorted(kinds):
                        self.add(kind, where, detail)

    def scan_file(self, path: Path, needles: Needles) -> None:
        where = self.where(path)
        if path.suffix.lower() in BIOMETRIC_SUFFIXES:
            self.add("biometric", where, "a NumPy array file (landmarks, masks or embeddings?)")
        seen: set[tuple[str, str]] = set()

        def once(kind: str, detail: str) -> None:
            if (kind, detail) not in seen:
                seen.add((kind, detail))
                self.add(kind, where, detail)

        texts: set[str] = set()
        overlap = max(_OVERLAP, needles.longest - 1)
        with path.open("rb") as handle:
            for _offset, data in chunks(handle, overlap=overlap, chunk_size=_CHUNK):
                self.result.bytes_scanned += len(data)
                for kind, detail in sorted(_patterns_in(data)):
                    once(kind, detail)
                texts |= needles.names_in(data, skip=frozenset(texts))
        self.report_texts(where, texts)

    def scan_vault(self) -> None:
        vault_dir = self.runtime.settings.vault_dir
        # Every ciphertext on disk, in its own file or in a pack of small objects.
        for path, head in self.runtime.vault.ciphertext_heads(64):
            self.result.vault_objects += 1
            if not head.startswith(VAULT_MAGIC):
                self.add("unencrypted_media", self.where(path), "a vault blob not encrypted")
        for path in sorted(self.runtime.settings.data_dir.rglob("*")):
            suspicious = path.is_file() and path.suffix.lower() in BIOMETRIC_SUFFIXES
            if suspicious and _is_within(path, vault_dir):
                self.add("biometric", self.where(path), "a NumPy array file in the vault")

    def scan_bucket(self, needles: Needles) -> None:
        """An S3 blob store: every object under the prefix is ciphertext named like a vault
        object (whose key row :meth:`check_orphans` checks), holds none of the texts,
        and no upload was left unfinished (the provider keeps the parts of those)."""
        store = self.runtime.vault.blobs
        if not isinstance(store, S3BlobStore):
            return
        for key in store.object_keys():
            name = key[len(store.prefix) :]
            where = f"{store.location}{name[:2]}"
            self.result.vault_objects += 1
            head = store.head_of(key, 64)
            if not head.startswith(VAULT_MAGIC):
                self.add("unencrypted_media", where, "an object in the bucket not encrypted")
            elif not store.names_an_object(key):
                self.add("orphan", where, "an object in the bucket that is no vault object")
            if needles:
                with store.open_key(key) as handle:
                    found = search_stream(handle, needles)
                self.result.bytes_scanned += store.size_of(key)
                self.report_texts(where, found)
        for key in store.unfinished_uploads():
            where = f"{store.location}{key[len(store.prefix) :][:2]}"
            self.add("orphan", where, "an unfinished upload in the bucket (parts kept)")

    def check_orphans(self) -> None:
        vault = self.runtime.vault
        report = vault.orphans()
        for object_id in report.blobs_without_key:
            self.add("orphan", f"vault/blobs/{object_id[:2]}", "ciphertext whose key is gone")
        for object_id in report.keys_without_blob:
            self.add("orphan", f"vault/keys/{object_id[:2]}", "a key whose ciphertext is gone")
        for pack in report.damaged_packs:
            self.add("orphan", f"vault/packs/{pack[:2]}", "a damaged pack: its objects are lost")
        referenced = self.referenced_objects()
        cutoff = time.time() - self.grace.total_seconds()
        for vault_id in vault.object_ids():
            if vault_id in referenced:
                continue
            stored_at = vault.stored_at(vault_id)
            if stored_at is None or stored_at > cutoff:
                continue  # gone, or written moments ago: its row may be on its way (an upload)
            self.add("orphan", f"vault/keys/{vault_id[:2]}", "a vault object no record refers to")
        with self.runtime.session() as session:
            rows = session.execute(
                select(StoredObject.id, Job.status).join(Job, StoredObject.job_id == Job.id)
            ).all()
        terminal = {status.value for status in TERMINAL_STATUSES}
        for row_id, status in rows:
            if status in terminal and not vault.exists(ObjectId(row_id)):
                self.add("orphan", "database/stored_objects", "a record whose object is gone")

    def referenced_objects(self) -> set[str]:
        with self.runtime.session() as session:
            return vault_references(session)

    def check_expired(self) -> None:
        cutoff = self.now - self.grace
        terminal = [status.value for status in TERMINAL_STATUSES]
        with self.runtime.session() as session:
            for table in Base.metadata.sorted_tables:
                if "expires_at" not in table.c:
                    continue
                query = (
                    select(func.count())
                    .select_from(table)
                    .where(table.c.expires_at.is_not(None), table.c.expires_at <= cutoff)
                )
                if table.name == Job.__tablename__:
                    query = query.where(
                        table.c.status.in_(terminal),
                        table.c.owner_id.not_in(restricted_owner_ids()),
                    )
                elif table.name == StoredObject.__tablename__:
                    query = query.where(not_held_by_restriction(table.c.job_id))
                count = int(session.scalar(query) or 0)
                if count:
                    self.add(
                        "expired",
                        f"database/{table.name}",
                        f"{count} record(s) past their expiry (the sweeper has not run?)",
                    )

    def check_schema(self) -> None:
        inspector = inspect(self.runtime.db)
        for table_name in inspector.get_table_names():
            for column in inspector.get_columns(table_name):
                if BIOMETRIC_COLUMN.search(str(column["name"])):
                    self.add(
                        "biometric",
                        f"database/{table_name}",
                        "a column named like biometric data",
                    )

    def check_chain(self) -> None:
        report = audit_log.verify(self.runtime)
        for problem in report.problems:
            self.add("audit_chain", f"audit entry {problem.seq}", problem.kind)


def run_audit(
    runtime: Runtime,
    *,
    log_dirs: Sequence[Path] = (),
    grace: timedelta | None = None,
    markers: Sequence[str] = (),
    also: Sequence[Path] = (),
) -> AuditResult:
    """Run every check; ``grace`` (default: two sweep intervals) tolerates work in flight.

    ``markers`` are texts to look for besides the stored prompts (reported as ``marker N``,
    numbered from 1 in the order given); ``also`` are further files or folders to scan
    like logs (an stderr capture of the service).
    """
    if grace is None:
        grace = timedelta(seconds=2 * runtime.settings.sweep_interval_seconds)
    auditor = _Auditor(runtime, grace, log_dirs, markers=markers, also=also)
    auditor.scan_files()
    auditor.scan_vault()
    auditor.check_orphans()
    auditor.check_expired()
    auditor.check_schema()
    auditor.check_chain()
    return auditor.result


__all__ = ["KINDS", "AuditResult", "Finding", "run_audit"]
