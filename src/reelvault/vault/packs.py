"""Small objects stored together: one file per batch instead of two files per object.

Accepting a job stores its prompt in the vault. As separate files (a blob and a wrapped
key), every job paid for two file creations, two fsyncs and two renames, and on this kind
of disk those metadata operations were most of the cost of accepting a job. A *pack*
holds a batch of small objects, each in its own slot: its wrapped key (the same JSON
document a key file holds, padded to a fixed size so that key rotation can rewrite it in
place) followed by its ciphertext (the same sealed format as a blob file)::

    b"RVPACK1\\n"  u16 slot count  u16 zero
    per slot:     u32 offset        u32 ciphertext length
    per slot, at its offset: wrapped key (KEY_REGION bytes) | ciphertext

The objects of a pack have ids that share their first 30 hex digits (the pack id, 120
random bits); the last two are the slot (:func:`pack_ids`). Shredding an object
overwrites its slot, key and ciphertext, with zeros in place and fsyncs, which is what
shredding a key file does before unlinking it; the pack itself is shredded and unlinked
with its last object. Writers of one pack take an exclusive ``flock`` so that the last
one out sees every other slot already zeroed, and a key rotation never writes back a
key that was shredded meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reelvault.errors import ConflictError, IntegrityError
from reelvault.private_files import storage_error
from reelvault.types import ObjectId, new_object_id
from reelvault.vault import _fs

try:
    import fcntl
except ImportError:  # Windows: no flock; one process per vault is then the rule
    fcntl = None  # type: ignore[assignment]

MAGIC = b"RVPACK1\n"
KEY_REGION = 512
MAX_SLOTS = 256
PACK_ID_LENGTH = 30
SUFFIX = ".pack"
_HEAD = struct.Struct("<HH")
_SLOT = struct.Struct("<II")


def pack_ids(count: int) -> list[ObjectId]:
    """Ids for ``count`` objects to be stored as one pack (1 to :data:`MAX_SLOTS`)."""
    if not 0 < count <= MAX_SLOTS:
        raise ValueError(f"a pack holds 1 to {MAX_SLOTS} objects")
    pack = new_object_id()[:PACK_ID_LENGTH]
    return [ObjectId(f"{pack}{slot:02x}") for slot in range(count)]


def is_pack_sequence(object_ids: Sequence[ObjectId]) -> bool:
    """True when ``object_ids`` are exactly the ids :func:`pack_ids` gives, in order."""
    if not object_ids or len(object_ids) > MAX_SLOTS:
        return False
    pack = object_ids[0][:PACK_ID_LENGTH]
    return all(oid == f"{pack}{slot:02x}" for slot, oid in enumerate(object_ids))


@dataclass(frozen=True)
class Slot:
    offset: int
    size: int  # of the ciphertext

    @property
    def region(self) -> slice:
        """Where the slot's wrapped key and ciphertext lie in the pack's bytes."""
        return slice(self.offset, self.offset + KEY_REGION + self.size)


@dataclass(frozen=True)
class PackedObject:
    key_document: bytes
    ciphertext: bytes


class LocalPacks:
    """Packs under ``root`` (in a deployment ``<vault_dir>/packs``), ``<root>/ab/<pack>.pack``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalPacks({str(self.root)!r})"

    def path_for(self, object_id: ObjectId) -> Path:
        return self.root / object_id[:2] / f"{object_id[:PACK_ID_LENGTH]}{SUFFIX}"

    # -- writing -----------------------------------------------------------------------

    @staticmethod
    def encode(objects: Sequence[tuple[bytes, bytes]]) -> bytes:
        """A pack file's bytes for (key document, ciphertext) pairs, in slot order."""
        table_end = len(MAGIC) + _HEAD.size + _SLOT.size * len(objects)
        slots: list[bytes] = []
        body: list[bytes] = []
        offset = table_end
        for key_document, ciphertext in objects:
            if len(key_document) > KEY_REGION:
                raise ValueError("a wrapped key document is larger than its region")
            slots.append(_SLOT.pack(offset, len(ciphertext)))
            body.append(key_document.ljust(KEY_REGION, b" "))
            body.append(ciphertext)
            offset += KEY_REGION + len(ciphertext)
        return b"".join([MAGIC, _HEAD.pack(len(objects), 0), *slots, *body])

    def write(self, object_ids: Sequence[ObjectId], objects: Sequence[tuple[bytes, bytes]]) -> None:
        """Store a pack durably (temp file, fsync, rename, directory fsync)."""
        if not is_pack_sequence(object_ids) or len(object_ids) != len(objects):
            raise ValueError("pack objects need the ids pack_ids() gives, one per object")
        path = self.path_for(object_ids[0])
        if path.exists():
            raise ConflictError(f"objects {object_ids[0]}... already exist", param="object_id")
        _fs.atomic_write_many([(path, self.encode(objects))], what="pack")

    # -- reading -----------------------------------------------------------------------

    def get(self, object_id: ObjectId) -> PackedObject | None:
        """The object's wrapped key and ciphertext; None when not stored (or shredded)."""
        path = self.path_for(object_id)
        try:
            data = path.read_bytes()  # a pack is small: a batch of prompts
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise storage_error(exc, "could not read a vault pack") from None
        slot = self._slot(data, object_id)
        if slot is None:
            return None
        region = data[slot.region]
        key_document, ciphertext = region[:KEY_REGION], region[KEY_REGION:]
        if not any(key_document):
            return None
        return PackedObject(key_document.rstrip(b" "), ciphertext)

    def stored_at(self, object_id: ObjectId) -> float | None:
        """When the object's pack was written (its mtime), or None when there is none."""
        try:
            return self.path_for(object_id).stat().st_mtime
        except FileNotFoundError:
            return None

    def ids(self) -> Iterator[ObjectId]:
        """Ids of every object still in a pack (not shredded), sorted; damaged packs skipped."""
        for pack_file, data, slots in self._readable_packs():
            pack = pack_file.name.removesuffix(SUFFIX)
            for number, slot in enumerate(slots):
                if any(data[slot.region]):
                    yield ObjectId(f"{pack}{number:02x}")

    def ciphertext_heads(self, size: int) -> Iterator[tuple[Path, bytes]]:
        """(pack file, first ``size`` bytes) of every ciphertext still stored, for audits."""
        for pack_file, data, slots in self._readable_packs():
            for slot in slots:
                start = slot.offset + KEY_REGION
                ciphertext = data[start : start + slot.size]
                if any(ciphertext):
                    yield pack_file, ciphertext[:size]

    def damaged(self) -> list[Path]:
        """Pack files whose slot table cannot be read (disk damage, tampering).

        None of their objects can be read; shredding any one of them removes the pack.
        """
        found = []
        for pack_file in self._pack_files():
            with contextlib.suppress(FileNotFoundError), open(pack_file, "rb") as handle:  # noqa: PTH123
                try:
                    self._slots(handle.read(), pack_file)
                except IntegrityError:
                    found.append(pack_file)
        return found

    # -- shredding and rotation --------------------------------------------------------

    def shred_many(self, object_ids: Iterable[ObjectId]) -> set[ObjectId]:
        """Zero the slots of these objects in place (fsynced); returns the ids that were there.

        A pack whose every slot is zero is then shredded and unlinked.
        """
        by_pack: dict[str, list[ObjectId]] = {}
        for oid in object_ids:
            if _fs.is_object_id(oid):
                by_pack.setdefault(oid[:PACK_ID_LENGTH], []).append(oid)
        removed: set[ObjectId] = set()
        emptied_dirs: set[Path] = set()
        for members in by_pack.values():
            path = self.path_for(members[0])
            with self._locked(path) as handle:
                if handle is None:
                    continue
                data = handle.read()
                try:
                    slots = self._slots(data, path)
                except IntegrityError:
                    # Its slots cannot be found, so none of its objects can be read:
                    # shredding one of them shreds the whole pack.
                    if _fs.zero_and_unlink(path):
                        removed.update(members)
                        emptied_dirs.add(path.parent)
                    continue
                for oid in members:
                    number = self._slot_number(oid)
                    if number >= len(slots):
                        continue
                    slot = slots[number]
                    if any(data[slot.region]):
                        _write_at(handle, slot.offset, bytes(KEY_REGION + slot.size))
                        removed.add(oid)
                if removed & set(members):
                    os.fsync(handle.fileno())
                    handle.seek(0)
                    data = handle.read()
                if not any(any(data[slot.region]) for slot in slots):
                    # The last object of the pack is gone: so is the pack.
                    _fs.zero_and_unlink(path)
                    emptied_dirs.add(path.parent)
        for directory in emptied_dirs:
            _fs.fsync_dir(directory)
        return removed

    def replace_key(self, object_id: ObjectId, key_document: bytes) -> bool:
        """Rewrite an object's wrapped key in place (key rotation); False when it is gone."""
        if len(key_document) > KEY_REGION:
            raise ValueError("a wrapped key document is larger than its region")
        path = self.path_for(object_id)
        with self._locked(path) as handle:
            if handle is None:
                return False
            data = handle.read()
            slot = self._slot(data, object_id)
            if slot is None or not any(data[slot.offset : slot.offset + KEY_REGION]):
                return False  # shredded meanwhile: never bring a key back
            _write_at(handle, slot.offset, key_document.ljust(KEY_REGION, b" "))
            os.fsync(handle.fileno())
        return True

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _slot_number(object_id: ObjectId) -> int:
        return int(object_id[PACK_ID_LENGTH:], 16)

    def _readable_packs(self) -> Iterator[tuple[Path, bytes, list[Slot]]]:
        for pack_file in self._pack_files():
            try:
                with open(pack_file, "rb") as handle:  # noqa: PTH123
                    data = handle.read()
                yield pack_file, data, self._slots(data, pack_file)
            except (FileNotFoundError, IntegrityError):
                continue  # shredded meanwhile, or damaged (see :meth:`damaged`)

    def _pack_files(self) -> Iterator[Path]:
        for pack_id in _fs.sharded_names(self.root, SUFFIX):
            yield self.root / pack_id[:2] / f"{pack_id}{SUFFIX}"

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[BinaryIO | None]:
        try:
            handle = open(path, "r+b", buffering=0)  # noqa: PTH123, SIM115
        except FileNotFoundError:
            yield None
            return
        except OSError as exc:
            raise storage_error(exc, "could not open a vault pack") from None
        with handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield handle

    def _slot(self, data: bytes, object_id: ObjectId) -> Slot | None:
        slots = self._slots(data, f"of object {object_id}")
        number = self._slot_number(object_id)
        return slots[number] if number < len(slots) else None

    def _slots(self, data: bytes, where: object) -> list[Slot]:
        start = len(MAGIC) + _HEAD.size
        if len(data) < start or not data.startswith(MAGIC):
            raise IntegrityError(f"vault pack {where} is malformed")
        count: int = _HEAD.unpack_from(data, len(MAGIC))[0]
        if start + _SLOT.size * count > len(data):
            raise IntegrityError(f"vault pack {where} is truncated")
        slots = [
            Slot(*_SLOT.unpack_from(data, start + _SLOT.size * number)) for number in range(count)
        ]
        if any(slot.region.stop > len(data) for slot in slots):
            raise IntegrityError(f"vault pack {where} is truncated")
        return slots


def _write_at(handle: BinaryIO, offset: int, data: bytes) -> None:
    handle.seek(offset)
    _fs.write_all(handle.fileno(), data)


__all__ = [
    "KEY_REGION",
    "MAX_SLOTS",
    "LocalPacks",
    "PackedObject",
    "is_pack_sequence",
    "pack_ids",
]
