"""Characters: a person's appearance an owner saved under a name (docs/characters.md).

Both the name and the media are the owner's own data and live in the vault, encrypted
(``name_object``, ``media_object``); the row holds ids, times and the media's type only.
No biometric template (faceprint, landmarks, pose) is ever stored: a job that uses a
character takes its media and computes whatever it needs in its own scratch space.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from reelvault.db.base import Base, UTCDateTime


class Character(Base):
    __tablename__ = "characters"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Like a job's, no foreign key: erasure removes both (and the owner needs them, see
    # privacy.idle_owners), and the CLI's local owner has no row.
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    name_object: Mapped[str] = mapped_column(String(32))
    media_object: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(64))  # image/png, video/mp4...
    media_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The policy the owner affirmed the likeness under (also in the consent ledger).
    policy_version: Mapped[str] = mapped_column(String(32))
    data_class: Mapped[str] = mapped_column(String(32), default="character")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


__all__ = ["Character"]
