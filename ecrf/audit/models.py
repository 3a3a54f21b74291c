"""The audit trail table and its chain head. Rows are written only by ecrf.audit.trail."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    """One audit record: who, what, when (UTC), old value, new value, why, chained by HMAC-SHA256."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject_seq", "subject_key", "seq"),
        Index("ix_audit_event_subject_item", "subject_key", "item_oid", "seq"),
        Index("ix_audit_event_user_seq", "username", "seq"),
    )

    #: position in the chain, 1, 2, 3 ... without gaps
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: server time in UTC, taken while the chain head is held, so it never runs backwards
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None]
    username: Mapped[str] = mapped_column(String(80))
    #: the user's role and site codes at the time
    role: Mapped[str | None] = mapped_column(String(20))
    actor_sites: Mapped[str | None] = mapped_column(String(200))
    #: create / update / delete, or a named event such as login_failed, lockout, export
    action: Mapped[str] = mapped_column(String(40))
    #: table (for row changes) or kind of thing (for named events)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    #: human-readable identifier, e.g. "01-S001/SE.SCREENING[1]/F.VS[1]/I.VS.SPO2"
    entity_key: Mapped[str | None] = mapped_column(String(300))
    site_code: Mapped[str | None] = mapped_column(String(20))
    subject_key: Mapped[str | None] = mapped_column(String(40))
    event_oid: Mapped[str | None] = mapped_column(String(64))
    form_oid: Mapped[str | None] = mapped_column(String(64))
    item_oid: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):
    """The single row holding the chain's last sequence number and hash.

    Writers lock this row before appending, so concurrent transactions extend
    the chain one after another and it never forks. Triggers let it move only
    forward, to an existing record; ecrf.audit.chain explains the format.
    """

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    #: records from this sequence number on are HMAC-SHA256 under the audit key; those before, legacy SHA-256
    keyed_from: Mapped[int | None] = mapped_column(BigInteger)
    #: HMAC of (seq, hash) under the audit key; None while no keyed record exists
    mac: Mapped[str | None] = mapped_column(String(64))
