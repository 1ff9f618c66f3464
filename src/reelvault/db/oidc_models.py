"""Tables of OpenID Connect sign-in: identity links and sign-ins under way.

Neither holds anything that names a person. A link stores a keyed hash of the provider's
subject identifier (never the identifier itself), so a copy of the table cannot be joined
with the provider's records without the server's key. A sign-in under way holds random
values for ten minutes at most.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from reelvault.db.base import Base, UTCDateTime


class OidcIdentity(Base):
    """An account signs in with this identity at this provider.

    ``subject_hash``: HMAC-SHA256, under a server secret, of the issuer URL and the
    subject (``sub``) of the provider's ID token. Deleting the account deletes its links.
    """

    __tablename__ = "oidc_identities"

    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(32))  # the name in oidc_providers
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OidcLogin(Base):
    """A sign-in sent to a provider and not back yet: what the callback must match.

    Found by the SHA-256 of its ``state``; deleted when the callback comes (single use).
    ``browser_hash`` is the SHA-256 of a random value in an HttpOnly cookie of the browser
    that started it, so a callback carried to another browser opens nothing.
    """

    __tablename__ = "oidc_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    age_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


__all__ = ["OidcIdentity", "OidcLogin"]
