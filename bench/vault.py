"""Vault throughput against OpenSSL's AES-256-GCM on the same machine, in the same run.

    python bench/vault.py [--mib 256] [--segment-mib 1] [--dir /dev/shm]

Three measurements of a ``--mib`` MiB stream, each direction:

* **files**: through :class:`reelvault.vault.Vault` with the local stores, encrypting into a
  blob file and decrypting with ``Vault.write_to`` into another file (fsync included).
* **memory**: through the same ``Vault`` with an in-memory blob store, so the figure is the
  cost of the vault itself (segmenting, AES-GCM, copies) without the disk.
* **plain I/O**: the same bytes written to a file (and copied file to file) with no
  encryption at all: the floor the *files* figure cannot beat on this disk.

The reference is ``openssl speed -evp aes-256-gcm -bytes 1048576 -seconds 3`` (and with
``-decrypt``). Throughput is in MB/s (10^6 bytes per second), the unit ``openssl speed``
reports. Note that ``cryptography`` bundles its own OpenSSL, which may be newer (faster) than
the ``openssl`` command.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend

from reelvault.types import ObjectId
from reelvault.vault import KeyFileKeyring, LocalBlobStore, LocalKeyStore, StoredObject, Vault
from reelvault.vault.aead import ciphertext_size

MIB = 1 << 20


class _PreallocatedSink:
    """Writes into a buffer allocated (and touched) before the clock starts."""

    def __init__(self, buffer: bytearray) -> None:
        self.view = memoryview(buffer)
        self.filled = 0

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        n = len(data)
        self.view[self.filled : self.filled + n] = data
        self.filled += n
        return n


class _ViewReader(io.RawIOBase):
    """A zero-copy reader over a memoryview (``io.BytesIO`` would copy the whole blob)."""

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any, /) -> int:
        target = memoryview(buffer).cast("B")
        n = min(len(target), len(self.view) - self.pos)
        target[:n] = self.view[self.pos : self.pos + n]
        self.pos += n
        return n


def _touched(size: int) -> bytearray:
    """A buffer whose pages are already mapped, so page faults stay out of the timings."""
    return bytearray(b"\xa5") * size


class MemoryBlobStore:
    """A ``BlobStore`` in memory (benchmark only): two preallocated buffers used in turn,
    so a new write never overwrites the blob it replaces and no allocation is timed."""

    def __init__(self, capacity: int) -> None:
        self.buffers = [_touched(capacity), _touched(capacity)]
        self.turn = 0
        self.blobs: dict[str, memoryview] = {}

    @contextlib.contextmanager
    def open_write(self, object_id: ObjectId) -> Iterator[_PreallocatedSink]:
        sink = _PreallocatedSink(self.buffers[self.turn])
        self.turn ^= 1
        yield sink
        self.blobs[object_id] = sink.view[: sink.filled]

    def open_read(self, object_id: ObjectId) -> BinaryIO:
        return cast(BinaryIO, _ViewReader(self.blobs[object_id]))

    def delete(self, object_id: ObjectId) -> bool:
        return self.blobs.pop(object_id, None) is not None

    def exists(self, object_id: ObjectId) -> bool:
        return object_id in self.blobs

    def ids(self) -> Iterator[ObjectId]:
        return iter(sorted(ObjectId(oid) for oid in self.blobs))

    def size(self, object_id: ObjectId) -> int:
        return len(self.blobs[object_id])


def openssl_speed(decrypt: bool) -> float | None:
    """AES-256-GCM MB/s from ``openssl speed`` (1 MiB blocks), or None when unavailable."""
    exe = shutil.which("openssl")
    if exe is None:
        return None
    command = [exe, "speed"]
    if decrypt:
        command.append("-decrypt")
    command += ["-evp", "aes-256-gcm", "-bytes", str(MIB), "-seconds", "3"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not lines:
        return None
    match = re.search(r"([\d.]+)k\s*$", lines[-1])
    return float(match.group(1)) * 1000 / 1e6 if match else None


def best_time(action: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` runs (the machine's noise only ever adds time)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def sha256_of(pieces: Iterable[bytes | memoryview]) -> bytes:
    digest = hashlib.sha256()
    for piece in pieces:
        digest.update(piece)
    return digest.digest()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="stream size in MiB (default 256)")
    parser.add_argument("--segment-mib", type=float, default=1.0, help="segment size in MiB")
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (temp dir)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; best is kept")
    args = parser.parse_args()
    total = int(args.mib) * MIB
    segment = int(args.segment_mib * MIB)
    block = os.urandom(4 * MIB)

    def chunks() -> Iterator[bytes]:
        sent = 0
        while sent < total:
            piece = block[: min(len(block), total - sent)]
            sent += len(piece)
            yield piece

    expected = sha256_of(chunks())
    with tempfile.TemporaryDirectory(prefix="reelvault-bench-", dir=args.dir) as tmp:
        root = Path(tmp)
        keyring = KeyFileKeyring(root / "master.key")
        keys = LocalKeyStore(root / "keys")
        out = root / "out.bin"

        # files: the local stores, fsync included.
        vault = Vault(
            blobs=LocalBlobStore(root / "blobs"), keys=keys, keyring=keyring, segment_size=segment
        )
        stored: list[StoredObject] = []

        def put_files() -> None:
            for previous in stored:
                vault.shred(previous.object_id)
            stored[:] = [vault.put_stream(chunks())]

        enc_files = best_time(put_files, args.repeat)
        dec_files = best_time(lambda: vault.write_to(stored[0].object_id, out), args.repeat)
        with out.open("rb") as handle:
            if sha256_of(iter(lambda: handle.read(8 * MIB), b"")) != expected:
                print("ROUND TRIP FAILED (files)", file=sys.stderr)
                return 1
        out.unlink()

        # memory: the same Vault code, blobs in preallocated memory.
        blobs = MemoryBlobStore(ciphertext_size(total, segment))
        mem = Vault(blobs=blobs, keys=keys, keyring=keyring, segment_size=segment)
        in_memory: list[StoredObject] = []

        def put_memory() -> None:
            for previous in in_memory:
                mem.shred(previous.object_id)
            in_memory[:] = [mem.put_stream(chunks())]

        def drain_memory() -> None:
            for _piece in mem.open_stream(in_memory[0].object_id):
                pass

        enc_mem = best_time(put_memory, args.repeat)
        dec_mem = best_time(drain_memory, args.repeat)
        if sha256_of(mem.open_stream(in_memory[0].object_id)) != expected:
            print("ROUND TRIP FAILED (memory)", file=sys.stderr)
            return 1

        # plain I/O floor: write the stream to a file + fsync; copy file to file + fsync.
        plain, copy = root / "plain.bin", root / "copy.bin"

        def write_plain() -> None:
            with plain.open("wb", buffering=0) as handle:
                for piece in chunks():
                    handle.write(piece)
                os.fsync(handle.fileno())

        def copy_plain() -> None:
            buf = memoryview(bytearray(segment))
            with plain.open("rb", buffering=0) as src, copy.open("wb", buffering=0) as dst:
                while n := src.readinto(buf):
                    dst.write(buf[:n])
                os.fsync(dst.fileno())

        io_write = best_time(write_plain, args.repeat)
        io_copy = best_time(copy_plain, args.repeat)

    def mbs(seconds: float) -> float:
        return total / seconds / 1e6

    obj = stored[0]
    overhead = obj.stored_size - obj.plaintext_size
    print(f"machine   : {platform.platform()}, {os.cpu_count()} CPUs ({platform.machine()})")
    print(
        f"python    : {platform.python_version()}, cryptography {cryptography.__version__} "
        f"({backend.openssl_version_text()})"
    )
    print(
        f"stream    : {args.mib} MiB in 4 MiB chunks, segment {segment} B, "
        f"dir {root.parent}, best of {args.repeat}"
    )
    print(
        f"sizes     : plaintext {obj.plaintext_size} B, stored {obj.stored_size} B, "
        f"overhead {overhead} B ({overhead / max(1, obj.plaintext_size):.4%})"
    )
    print(f"files     : encrypt {mbs(enc_files):8.1f} MB/s   decrypt {mbs(dec_files):8.1f} MB/s")
    print(f"memory    : encrypt {mbs(enc_mem):8.1f} MB/s   decrypt {mbs(dec_mem):8.1f} MB/s")
    print(f"plain I/O : write   {mbs(io_write):8.1f} MB/s   copy    {mbs(io_copy):8.1f} MB/s")
    ssl_enc = openssl_speed(decrypt=False)
    if ssl_enc is None:
        print("openssl   : skipped (openssl not found or its output not understood)")
        return 0
    ssl_dec = openssl_speed(decrypt=True) or ssl_enc
    version = subprocess.run(
        ["openssl", "version"], capture_output=True, text=True, check=False
    ).stdout.split(" (")[0]
    print(f"openssl   : encrypt {ssl_enc:8.1f} MB/s   decrypt {ssl_dec:8.1f} MB/s ({version})")
    print("ratio vs openssl speed (goal >= 0.70):")
    print(
        f"  memory  : encrypt {mbs(enc_mem) / ssl_enc:5.2f}x   "
        f"decrypt {mbs(dec_mem) / ssl_dec:5.2f}x"
    )
    print(
        f"  files   : encrypt {mbs(enc_files) / ssl_enc:5.2f}x   "
        f"decrypt {mbs(dec_files) / ssl_dec:5.2f}x"
    )
    print(
        f"files vs plain I/O (same bytes, no crypto): encrypt {io_write / enc_files:5.2f}x   "
        f"decrypt {io_copy / dec_files:5.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
