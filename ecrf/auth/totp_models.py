"""The second factor's records: a user's TOTP credential (RFC 6238) and their one-time recovery codes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.auth.models import User
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow


class TotpCredential(db.Model):
    """A user's TOTP secret; it counts as a second factor once ``confirmed_at`` is set by a first good code.

    ``last_step`` is the time step of the last accepted code: a code is accepted only for a later step, so a
    code seen over a shoulder or replayed from a proxy log is refused within its window. ``version`` makes
    two requests racing with the same code conflict instead of both succeeding.
    """

    __tablename__ = "totp_credential"
    __audited__ = True
    __audit_redact__ = frozenset({"secret"})
    #: change on every login; the login events tell of them
    __audit_ignore__ = frozenset({"last_step", "failures", "version"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    #: base32, as authenticator apps take it
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int] = mapped_column(default=0)
    #: wrong codes since the last good one; a password login does not reset it, so codes cannot be guessed
    #: five at a time between correct passwords
    failures: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    user: Mapped[User] = relationship(lazy="joined")

    def audit_keys(self) -> dict:
        return {"entity_key": self.user.username}


class RecoveryCode(db.Model):
    """A one-time code that stands in for the TOTP code when the phone is lost; only its argon2id hash is kept."""

    __tablename__ = "recovery_code"
    __audited__ = True
    __audit_redact__ = frozenset({"code_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def audit_keys(self) -> dict:
        return {"entity_key": self.user.username}
