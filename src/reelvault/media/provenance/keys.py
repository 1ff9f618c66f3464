"""Provenance keys: a local development CA + C2PA signing certificate, and the watermark key.

``reelvault provenance init`` writes, in ``provenance_dir`` (all files mode 0600):

* ``dev-ca.pem`` / ``dev-ca.key``: a self-signed CA whose subject says it is the
  "reelvault development CA — not trusted", so no verifier mistakes it for a real one;
* ``signing.pem`` (leaf + CA chain) / ``signing.key``: an ES256 (P-256) end-entity
  certificate with what C2PA requires of a claim signer: digitalSignature key usage,
  the emailProtection and C2PA claim-signing extended key usages, not a CA, signed by
  the CA (C2PA refuses self-signed signing certificates);
* ``watermark.key``: 32 random bytes keying the invisible watermark (unless
  ``watermark_secret`` is set).

With ``provenance_dev_certificate`` on (the default) the first output of a fresh install
creates these files itself (:func:`ensure_dev_certificate`), as the watermark key is
created, so every output carries signed content credentials. An operator with a real
certificate puts its chain and key at ``signing.pem`` and ``signing.key`` instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reelvault.config import Settings
from reelvault.errors import ConfigError, ConflictError, StorageError

CA_CERT = "dev-ca.pem"
CA_KEY = "dev-ca.key"
SIGNING_CERT = "signing.pem"
SIGNING_KEY = "signing.key"
WATERMARK_KEY = "watermark.key"
DEV_CA_NAME = "reelvault development CA — not trusted"
C2PA_CLAIM_SIGNING = x509.ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
"""The C2PA extended key usage for claim signing (c2pa-kp-claimSigning)."""


@dataclass(frozen=True)
class SigningFiles:
    """Where the signing material lives (nothing is read here)."""

    cert_chain: Path
    private_key: Path


def signing_files(settings: Settings) -> SigningFiles:
    directory = settings.resolved_provenance_dir
    return SigningFiles(directory / SIGNING_CERT, directory / SIGNING_KEY)


def _write_private(path: Path, data: bytes, *, force: bool) -> None:
    """Write a 0600 file whole, then publish it in one step, so no other process ever
    reads it half-written (``os.link`` refuses an existing name; ``os.replace`` forces)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            temporary.replace(path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise ConflictError(
                    f"{path.name} already exists (use --force to replace it)"
                ) from None
    except OSError as exc:
        raise StorageError(f"cannot write {path.name}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    path.chmod(0o600)


def _ensure_dir(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "reelvault (development)"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "not trusted"),
        ]
    )


def _build_dev_certificates(operator: str, now: dt.datetime) -> tuple[bytes, bytes, bytes, bytes]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(DEV_CA_NAME)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{operator} content signing (reelvault development)"))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, C2PA_CLAIM_SIGNING]),
            critical=False,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca_cert.public_bytes(serialization.Encoding.PEM)
    chain = leaf_cert.public_bytes(serialization.Encoding.PEM) + ca_pem
    return ca_pem, _key_pem(ca_key), chain, _key_pem(leaf_key)


def init_provenance(
    settings: Settings,
    *,
    force: bool = False,
    operator: str = "reelvault operator",
    now: dt.datetime | None = None,
) -> list[Path]:
    """Create the development CA, the signing certificate and the watermark key file.

    Refuses (:class:`ConflictError`) to replace existing files unless ``force``; returns
    the files written. The watermark key file is kept when it exists, even with
    ``force``: replacing it would make earlier videos undetectable.
    """
    directory = settings.resolved_provenance_dir
    _ensure_dir(directory)
    files = signing_files(settings)
    if not force:
        for path in (directory / CA_CERT, directory / CA_KEY, files.cert_chain, files.private_key):
            if path.exists():
                raise ConflictError(
                    f"provenance already initialised ({path.name} exists); use --force to replace"
                )
    ca_pem, ca_key, chain, leaf_key = _build_dev_certificates(
        operator, now or dt.datetime.now(dt.UTC)
    )
    written = []
    for name, data in (
        (CA_CERT, ca_pem),
        (CA_KEY, ca_key),
        (SIGNING_CERT, chain),
        (SIGNING_KEY, leaf_key),
    ):
        _write_private(directory / name, data, force=True)
        written.append(directory / name)
    key_path = directory / WATERMARK_KEY
    if not key_path.exists():
        _write_private(key_path, secrets.token_bytes(32), force=False)
        written.append(key_path)
    return written


def ensure_dev_certificate(
    settings: Settings, *, check: Callable[[Settings], None] | None = None
) -> None:
    """Create the development CA and signing certificate unless a signing pair exists.

    Called on first use by every worker that finds none: an exclusive lock on a file in
    ``provenance_dir`` makes the first one create them and the others use what it made,
    never a certificate from one process with the key of another. ``check`` runs under
    the lock before anything is made (it may refuse what it finds).
    """
    directory = settings.resolved_provenance_dir
    _ensure_dir(directory)
    files = signing_files(settings)
    with (directory / ".init.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if files.cert_chain.exists() and files.private_key.exists():
            return  # another worker made them while this one waited
        if check is not None:
            check(settings)
        init_provenance(settings, force=True)


def watermark_key(settings: Settings, *, create: bool = True) -> bytes | None:
    """The deployment's 32-byte watermark key: from ``watermark_secret`` when set, else
    the key file in ``provenance_dir`` (created with mode 0600 when ``create``)."""
    from reelvault.media.provenance.watermark import key_bytes

    if settings.watermark_secret is not None:
        return key_bytes(settings.watermark_secret.get_secret_value())
    path = settings.resolved_provenance_dir / WATERMARK_KEY
    if not path.exists():
        if not create:
            return None
        _ensure_dir(path.parent)
        # Another worker may create it first: then use theirs.
        with contextlib.suppress(ConflictError):
            _write_private(path, secrets.token_bytes(32), force=False)
    data = path.read_bytes()
    if len(data) != 32:
        raise ConfigError(f"{path.name} must hold exactly 32 bytes")
    return data


__all__ = [
    "DEV_CA_NAME",
    "SigningFiles",
    "ensure_dev_certificate",
    "init_provenance",
    "signing_files",
    "watermark_key",
]
