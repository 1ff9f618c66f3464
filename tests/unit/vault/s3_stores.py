"""Building S3 blob stores and S3-backed vaults for the vault tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from reelvault.config import Settings
from reelvault.db.session import make_db_engine, migrate
from reelvault.db.vault_keys import DatabaseKeyRows
from reelvault.vault import KeyFileKeyring, Vault
from reelvault.vault.keystore import DocumentKeyStore
from reelvault.vault.stores.s3 import S3BlobStore
from tests.s3_server import S3Server


def s3_settings(
    server: S3Server, bucket: str, tmp_path: Path, endpoint_url: str | None = None, **extra: Any
) -> Settings:
    overrides = server.settings_overrides(bucket, **extra)
    if endpoint_url is not None:
        overrides["blob_store"] = f"s3://{bucket}/vault?endpoint_url={endpoint_url}"
    return Settings(data_dir=tmp_path, **overrides)


def s3_store(server: S3Server, tmp_path: Path, **extra: Any) -> S3BlobStore:
    """A store in a fresh bucket, built the way a deployment builds it (from settings)."""
    return S3BlobStore.from_settings(s3_settings(server, server.new_bucket(), tmp_path, **extra))


def key_database(tmp_path: Path) -> Engine:
    engine = make_db_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    migrate(engine)
    return engine


def s3_vault(store: S3BlobStore, engine: Engine, tmp_path: Path, segment_size: int = 4096) -> Vault:
    return Vault(
        blobs=store,
        keys=DocumentKeyStore(DatabaseKeyRows(engine)),
        keyring=KeyFileKeyring(tmp_path / "master.key"),
        segment_size=segment_size,
    )
