from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reelvault.vault import KeyFileKeyring, LocalBlobStore, LocalKeyStore, Vault

SEGMENT = 4096

VaultFactory = Callable[..., Vault]


def _make_vault(root: Path, *, segment_size: int = SEGMENT) -> Vault:
    return Vault(
        blobs=LocalBlobStore(root / "vault" / "blobs"),
        keys=LocalKeyStore(root / "vault" / "keys"),
        keyring=KeyFileKeyring(root / "master.key"),
        segment_size=segment_size,
    )


@pytest.fixture
def make_vault() -> VaultFactory:
    """``make_vault(root, segment_size=...)``: a vault with local stores under ``root``."""
    return _make_vault


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return _make_vault(tmp_path)
