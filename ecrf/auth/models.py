"""Sites, users, their site memberships and one-time credentials."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study import clock
from ecrf.study.clock import utcnow

ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")


class Site(db.Model):
    """A trial site; subjects and users belong to sites."""

    __tablename__ = "site"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    #: short code used in subject numbers, e.g. "01"
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: IANA zone in which the site's staff read times (stored times are UTC)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def zone(self) -> ZoneInfo:
        """The site's time zone (ecrf.study.clock)."""
        return clock.zone(self.timezone)

    def audit_keys(self) -> dict:
        return {"entity_key": self.code, "site_code": self.code}


class User(UserMixin, db.Model):
    """A person who logs in. Never deleted: a username is never reused (21 CFR 11.100)."""

    __tablename__ = "user_account"
    __audited__ = True
    __audit_redact__ = frozenset({"password_hash"})
    #: columns that change on every login and are audited as login events instead
    __audit_ignore__ = frozenset({"last_login_at", "failed_logins", "session_epoch"})
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: where password reset links go (and only there); None for accounts made before addresses were kept
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    #: argon2id hash; None until the user sets a password through a reset link
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    #: wrong passwords in a row, at login, password change or e-signature; the threshold locks the account
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: raised on logout and password change or reset: sessions carrying an older epoch are no longer valid
    #: (a server default only, so that inserts written for older schemas stay valid)
    session_epoch: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[UserSite]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in or stay logged in
        return self.is_active_account

    @property
    def sites(self) -> list[Site]:
        return [m.site for m in self.memberships]

    @property
    def site_ids(self) -> set[int]:
        return {m.site_id for m in self.memberships}

    def audit_keys(self) -> dict:
        return {"entity_key": self.username}


class UserSite(db.Model):
    """Membership of a user in a site (what subjects the user may see)."""

    __tablename__ = "user_site"
    __audited__ = True
    __table_args__ = (UniqueConstraint("user_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))

    user: Mapped[User] = relationship(back_populates="memberships")
    site: Mapped[Site] = relationship(lazy="joined")

    def audit_keys(self) -> dict:
        # a membership removed from user.memberships has lost its user reference; fall back to the stored id
        user = self.user.username if self.user is not None else f"user#{self.user_id}"
        return {"entity_key": f"{user}@{self.site.code}", "site_code": self.site.code}


class PasswordResetToken(db.Model):
    """A one-time link an admin issues so a user can set their own password."""

    __tablename__ = "password_reset_token"
    __audited__ = True
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: SHA-256 of the token; the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def audit_keys(self) -> dict:
        return {"entity_key": self.user.username}


class PasswordHistory(db.Model):
    """The argon2id hashes of a user's past passwords, so the last few cannot be chosen again. Hashes only."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(db.Model):
    """A bearer token for the JSON API; acts with its user's role and sites. Only its hash is kept."""

    __tablename__ = "api_token"
    __audited__ = True
    __audit_redact__ = frozenset({"token_hash"})
    __audit_ignore__ = frozenset({"last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: first characters of the token, shown in lists so owners can tell tokens apart
    prefix: Mapped[str] = mapped_column(String(12))
    #: SHA-256 of the whole token
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def audit_keys(self) -> dict:
        return {"entity_key": f"{self.user.username}/token {self.prefix}"}
