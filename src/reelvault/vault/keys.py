"""Key-encryption keys (KEKs): keyrings that wrap and unwrap per-object data keys (DEKs).

A keyring holds one *active* KEK (new wraps use it) and possibly older ones (still able to
unwrap until rotation finishes). Two sources:

* :class:`KeyFileKeyring` — a JSON key file, created on first use with mode 0600 and
  refused when malformed or accessible by group/others. Supports rotation.
* :class:`EnvKeyring` — one key from ``REELVAULT_MASTER_KEY`` (base64 of 32 bytes). Cannot
  be rotated in place.

A wrapped DEK is AES-256-GCM under the KEK with a random 12-byte nonce and associated data
``b"reelvault-dek-v1" | 0 | kek id | 0 | object id``, so it only unwraps under the same KEK
for the same object.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reelvault.config import Settings
from reelvault.errors import ConfigError, IntegrityError
from reelvault.private_files import ensure_private_dir
from reelvault.vault import _fs

KEY_SIZE = 32
WRAP_NONCE_SIZE = 12
_WRAP_CONTEXT = b"reelvault-dek-v1"
_KEY_FILE_FORMAT = "reelvault-keyring"
_KEY_FILE_VERSION = 1
MASTER_KEY_ENV = "REELVAULT_MASTER_KEY"


def key_id_for(key: bytes) -> str:
    """The public id of a KEK: first 8 hex characters of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


@dataclass(frozen=True)
class WrappedKey:
    """A data key encrypted under a KEK: which KEK, the nonce and ciphertext (with tag)."""

    kek_id: str
    nonce: bytes
    ciphertext: bytes


def _wrap_aad(kek_id: str, object_id: str) -> bytes:
    return _WRAP_CONTEXT + b"\x00" + kek_id.encode("ascii") + b"\x00" + object_id.encode("ascii")


class Keyring:
    """KEKs by id, with one active for wrapping. Never shows key material in its repr."""

    supports_rotation: bool = False

    def __init__(self, keys: Mapping[str, bytes], active_id: str) -> None:
        if active_id not in keys:
            raise ConfigError(f"active key-encryption key {active_id} is not in the keyring")
        for key in keys.values():
            if len(key) != KEY_SIZE:
                raise ConfigError("key-encryption keys must be 32 bytes")
        self._keys: dict[str, bytes] = dict(keys)
        self._active_id = active_id

    @property
    def active_id(self) -> str:
        return self._active_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._keys))

    def _lookup(self, kek_id: str) -> bytes | None:
        return self._keys.get(kek_id)

    def wrap(self, dek: bytes, object_id: str) -> WrappedKey:
        """Encrypt ``dek`` for ``object_id`` under the active KEK."""
        kek_id = self._active_id
        nonce = secrets.token_bytes(WRAP_NONCE_SIZE)
        ciphertext = AESGCM(self._keys[kek_id]).encrypt(nonce, dek, _wrap_aad(kek_id, object_id))
        return WrappedKey(kek_id=kek_id, nonce=nonce, ciphertext=ciphertext)

    def unwrap(self, wrapped: WrappedKey, object_id: str) -> bytes:
        """Decrypt a wrapped data key; :class:`IntegrityError` for a wrong KEK or object."""
        kek = self._lookup(wrapped.kek_id)
        if kek is None:
            raise IntegrityError(
                f"data key is wrapped under key-encryption key {wrapped.kek_id}, "
                "which this keyring does not hold"
            )
        try:
            dek = AESGCM(kek).decrypt(
                wrapped.nonce, wrapped.ciphertext, _wrap_aad(wrapped.kek_id, object_id)
            )
        except (InvalidTag, ValueError):
            raise IntegrityError(
                "data key failed to unwrap (wrong key-encryption key or moved object)"
            ) from None
        if len(dek) != KEY_SIZE:
            raise IntegrityError("unwrapped data key has the wrong length")
        return dek

    def add_active_key(self) -> str:
        """Generate a new KEK, persist it beside the old ones and make it active (rotation)."""
        raise ConfigError(self._no_rotation())

    def retire_inactive_keys(self) -> tuple[str, ...]:
        """Drop every KEK but the active one; returns the retired ids."""
        raise ConfigError(self._no_rotation())

    def _no_rotation(self) -> str:
        return f"{type(self).__name__} cannot rotate keys"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(active_id={self._active_id!r}, key_ids={self.key_ids!r})"


class EnvKeyring(Keyring):
    """One KEK from ``REELVAULT_MASTER_KEY`` (base64 of exactly 32 bytes)."""

    def __init__(self, encoded: str) -> None:
        try:
            key = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(
                f"{MASTER_KEY_ENV} is not valid base64 (expected base64 of 32 random bytes)",
                param="master_key",
            ) from None
        if len(key) != KEY_SIZE:
            raise ConfigError(
                f"{MASTER_KEY_ENV} must be base64 of exactly {KEY_SIZE} bytes "
                f"(it decodes to {len(key)})",
                param="master_key",
            )
        super().__init__({key_id_for(key): key}, key_id_for(key))

    def _no_rotation(self) -> str:
        return (
            f"key rotation needs a key file: the key-encryption key comes from {MASTER_KEY_ENV}, "
            "which reelvault cannot rewrite; unset it and use a key file (REELVAULT_KEY_FILE) "
            "to rotate, or rotate the environment variable yourself"
        )


class KeyFileKeyring(Keyring):
    """KEKs in a JSON key file, created (mode 0600, parent 0700) when missing.

    Format: ``{"format": "reelvault-keyring", "version": 1, "active": "<id>",
    "keys": {"<id>": "<base64 of 32 bytes>"}}``.
    """

    supports_rotation = True

    def __init__(self, path: Path) -> None:
        self.path = path
        keys, active = self._load_or_create()
        super().__init__(keys, active)

    # -- loading -------------------------------------------------------------------------

    def _load_or_create(self) -> tuple[dict[str, bytes], str]:
        try:
            return self._load()
        except FileNotFoundError:
            pass
        key = secrets.token_bytes(KEY_SIZE)
        keys = {key_id_for(key): key}
        self._create(keys, key_id_for(key))
        # Another process may have won the race to create it: the file is the truth.
        return self._load()

    def _load(self) -> tuple[dict[str, bytes], str]:
        path = self.path
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            try:
                mode = os.fstat(fd).st_mode
                if os.name == "posix" and mode & 0o077:
                    raise ConfigError(
                        f"key file {path} is accessible by group or others "
                        f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
                    )
                raw = os.read(fd, 1 << 20)
            finally:
                os.close(fd)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise ConfigError(f"could not read key file {path}: {exc.strerror}") from None
        return self._parse(raw)

    def _parse(self, raw: bytes) -> tuple[dict[str, bytes], str]:
        def bad(reason: str) -> ConfigError:
            return ConfigError(f"key file {self.path} is malformed: {reason}")

        try:
            data: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise bad("not valid JSON") from None
        if not isinstance(data, dict) or data.get("format") != _KEY_FILE_FORMAT:
            raise bad(f'expected an object with "format": "{_KEY_FILE_FORMAT}"')
        if data.get("version") != _KEY_FILE_VERSION:
            raise bad(f"unsupported version {data.get('version')!r}")
        entries, active = data.get("keys"), data.get("active")
        if not isinstance(entries, dict) or not entries:
            raise bad('"keys" must be a non-empty object')
        keys: dict[str, bytes] = {}
        for kek_id, encoded in entries.items():
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise bad(f"key {kek_id} is not valid base64") from None
            if len(key) != KEY_SIZE:
                raise bad(f"key {kek_id} is not {KEY_SIZE} bytes")
            if key_id_for(key) != kek_id:
                raise bad(f"key {kek_id} does not match its id")
            keys[kek_id] = key
        if not isinstance(active, str) or active not in keys:
            raise bad('"active" must name one of the keys')
        return keys, active

    # -- writing -------------------------------------------------------------------------

    def _encode(self, keys: Mapping[str, bytes], active: str) -> bytes:
        document = {
            "format": _KEY_FILE_FORMAT,
            "version": _KEY_FILE_VERSION,
            "active": active,
            "keys": {kek_id: base64.b64encode(key).decode("ascii") for kek_id, key in keys.items()},
        }
        return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")

    def _create(self, keys: Mapping[str, bytes], active: str) -> None:
        """Create the key file only if absent: temp file (O_EXCL, 0600) then hard link."""
        ensure_private_dir(self.path.parent, tighten_existing=False)
        content = self._encode(keys, active)
        tmp = _fs.temp_path(self.path)
        try:
            fd = os.open(tmp, _fs.CREATE_FLAGS, _fs.PRIVATE_FILE_MODE)
            try:
                _fs.write_all(fd, content)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                return
            except OSError:
                # No hard links here: fall back to an exclusive create of the file itself.
                with contextlib.suppress(FileExistsError):
                    fd = os.open(self.path, _fs.CREATE_FLAGS, _fs.PRIVATE_FILE_MODE)
                    try:
                        _fs.write_all(fd, content)
                        os.fsync(fd)
                    finally:
                        os.close(fd)
        except OSError as exc:
            raise ConfigError(f"could not create key file {self.path}: {exc.strerror}") from None
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        _fs.fsync_dir(self.path.parent)

    def _save(self, keys: Mapping[str, bytes], active: str) -> None:
        _fs.atomic_write_bytes(self.path, self._encode(keys, active), what="key file")

    def _lookup(self, kek_id: str) -> bytes | None:
        key = self._keys.get(kek_id)
        if key is None:
            # Another process may have rotated: reread the file once.
            with contextlib.suppress(FileNotFoundError, ConfigError):
                keys, _active = self._load()
                key = keys.get(kek_id)
                if key is not None:
                    self._keys = {**self._keys, kek_id: key}
        return key

    # -- rotation ------------------------------------------------------------------------

    def add_active_key(self) -> str:
        keys, _active = self._load()
        while True:
            key = secrets.token_bytes(KEY_SIZE)
            kek_id = key_id_for(key)
            if kek_id not in keys:
                break
        keys = {**keys, kek_id: key}
        self._save(keys, kek_id)
        self._keys, self._active_id = keys, kek_id
        return kek_id

    def retire_inactive_keys(self) -> tuple[str, ...]:
        keys, active = self._load()
        if active != self._active_id:
            raise ConfigError(
                f"key file {self.path} changed during rotation (active key is now {active})"
            )
        retired = tuple(sorted(kek_id for kek_id in keys if kek_id != active))
        if retired:
            self._save({active: keys[active]}, active)
        self._keys = {active: keys[active]}
        return retired


def generate_master_key() -> str:
    """A fresh value for ``REELVAULT_MASTER_KEY``: base64 of 32 random bytes."""
    return base64.b64encode(secrets.token_bytes(KEY_SIZE)).decode("ascii")


def keyring_from_settings(settings: Settings) -> Keyring:
    """``EnvKeyring`` when ``master_key`` is set, else the key file (created on first use)."""
    if settings.master_key is not None:
        return EnvKeyring(settings.master_key.get_secret_value())
    return KeyFileKeyring(settings.resolved_key_file)


__all__ = [
    "KEY_SIZE",
    "EnvKeyring",
    "KeyFileKeyring",
    "Keyring",
    "WrappedKey",
    "generate_master_key",
    "key_id_for",
    "keyring_from_settings",
]
