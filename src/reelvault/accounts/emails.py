"""E-mail addresses of accounts: checked, normalised, and turned into a lookup digest.

The address itself is kept encrypted in the vault; the database holds only a keyed
HMAC-SHA256 of its normalised form, so finding an account by address needs the server's
key and a stolen table reveals no address (not even by hashing a list of guesses).
"""

from __future__ import annotations

import hashlib
import hmac
import re

import idna

from reelvault.errors import ValidationError

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_email(address: str) -> str:
    """The address in the form accounts are found by, or ``ValidationError``.

    Case is folded on both sides: no provider in practice treats ``Ann@`` and ``ann@``
    as two mailboxes, and treating them as two accounts would let a second account be
    made for the same person. Internationalised domains are stored in IDNA 2008 form
    (UTS 46 mapping, not transitional): ``faß.de`` stays itself (``xn--fa-hia.de``) and is
    not folded into ``fass.de``, a domain someone else may own, as IDNA 2003 would.
    """
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or len(address) > MAX_EMAIL_LENGTH or not _LOCAL.match(local):
        raise ValidationError("not an e-mail address", param="email")
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):  # its message quotes the label: not echoed
        raise ValidationError("not an e-mail address", param="email") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError("not an e-mail address", param="email")
    return f"{local.lower()}@{ascii_domain}"


def email_lookup(key: bytes, normalised: str) -> str:
    """The digest an account is found by: HMAC-SHA256 under the server's lookup key."""
    return hmac.new(
        key, b"reelvault-account-email\0" + normalised.encode(), hashlib.sha256
    ).hexdigest()


def attempt_lookup(key: bytes, address: str) -> str:
    """The lookup digest for a sign-in attempt, even when ``address`` is malformed (so a
    malformed address is counted like any other, never answered differently)."""
    try:
        return email_lookup(key, normalise_email(address))
    except ValidationError:
        return email_lookup(key, address.strip().lower())


__all__ = ["MAX_EMAIL_LENGTH", "attempt_lookup", "email_lookup", "normalise_email"]
