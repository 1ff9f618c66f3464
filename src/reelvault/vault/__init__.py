"""The vault: per-object AES-256-GCM streaming encryption, wrapped data keys, crypto-shredding.

Use :class:`Vault` (usually ``Vault.from_settings(settings)``); the other names are its parts.
"""

from __future__ import annotations

from reelvault.vault.aead import DecryptedStream, StreamSizes, decrypt_stream, encrypt_stream
from reelvault.vault.keys import (
    EnvKeyring,
    KeyFileKeyring,
    Keyring,
    WrappedKey,
    generate_master_key,
    key_id_for,
    keyring_from_settings,
)
from reelvault.vault.keystore import LocalKeyStore
from reelvault.vault.stores.base import BlobSink, BlobStore
from reelvault.vault.stores.local import LocalBlobStore
from reelvault.vault.vault import OrphanReport, RotationReport, StoredObject, Vault

__all__ = [
    "BlobSink",
    "BlobStore",
    "DecryptedStream",
    "EnvKeyring",
    "KeyFileKeyring",
    "Keyring",
    "LocalBlobStore",
    "LocalKeyStore",
    "OrphanReport",
    "RotationReport",
    "StoredObject",
    "StreamSizes",
    "Vault",
    "WrappedKey",
    "decrypt_stream",
    "encrypt_stream",
    "generate_master_key",
    "key_id_for",
    "keyring_from_settings",
]
