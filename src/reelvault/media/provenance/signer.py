"""Load the operator's signing identity from ``provenance_dir``."""

from __future__ import annotations

import logging
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from reelvault.config import Settings
from reelvault.errors import ConfigError
from reelvault.media.provenance.keys import ensure_dev_certificate, signing_files
from reelvault.media.provenance.manifest import Signer

log = logging.getLogger(__name__)
_hinted = False


def _check_not_half(settings: Settings) -> None:
    """Half of an operator's certificate is an error: never papered over with a dev one."""
    files = signing_files(settings)
    if files.cert_chain.exists() != files.private_key.exists():
        missing = files.cert_chain if files.private_key.exists() else files.private_key
        raise ConfigError(
            f"the provenance dir has a signing certificate or key without the other: "
            f"{missing.name} is missing"
        )


def load_signer(settings: Settings) -> Signer | None:
    """The signing identity from ``provenance_dir``.

    With none installed, the development certificate is created there on first use
    (``provenance_dev_certificate``, on by default), as the watermark key is, so a fresh
    install signs its outputs too. With that setting off, None: outputs are then only
    watermarked, and a hint is logged once per process.
    """
    global _hinted
    files = signing_files(settings)
    if not (files.cert_chain.exists() and files.private_key.exists()):
        if not settings.provenance_dev_certificate:
            _check_not_half(settings)
            if not _hinted:
                _hinted = True
                log.warning(
                    "outputs carry no content credentials: run `reelvault provenance init` "
                    "(or install a certificate as signing.pem/signing.key in the provenance dir)"
                )
            return None
        # Under its lock: another worker may be writing the pair this very moment, and
        # only a half pair seen once it is done is the operator's mistake.
        ensure_dev_certificate(settings, check=_check_not_half)
    chain = files.cert_chain.read_bytes()
    key_pem = files.private_key.read_bytes()
    try:
        leaf = x509.load_pem_x509_certificates(chain)[0]
        key = load_pem_private_key(key_pem, password=None)
    except ValueError:
        raise ConfigError(
            "the signing certificate or key in the provenance dir is unreadable"
        ) from None
    algorithm: Literal["es256", "es384", "ps256"]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = "es384" if key.curve.name == "secp384r1" else "es256"
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = "ps256"
    else:
        raise ConfigError("the signing key must be an EC (P-256/P-384) or RSA key")
    return Signer(
        cert_chain=chain,
        private_key=key_pem,
        algorithm=algorithm,
        subject=leaf.subject.rfc4514_string(),
    )


__all__ = ["load_signer"]
