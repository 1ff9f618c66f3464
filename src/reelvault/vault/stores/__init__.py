"""Blob stores: where ciphertext lives (a local directory now; S3-compatible later)."""

from __future__ import annotations

from reelvault.vault.stores.base import BlobSink, BlobStore
from reelvault.vault.stores.local import LocalBlobStore

__all__ = ["BlobSink", "BlobStore", "LocalBlobStore"]
