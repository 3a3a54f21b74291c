"""The outbox and its delivery attempts.

Not audited row by row: a reset mail's body holds a one-time link that must not be copied into the
append-only audit trail; the events that queue mail are audited by their own services.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow

#: queued: waits for its next attempt; sending: claimed by a worker until ``claimed_until``;
#: sent: delivered (never claimed again); failed: refused for good or out of attempts (kept, shown, not lost)
STATUSES = ("queued", "sending", "sent", "failed")


class OutboxMessage(db.Model):
    __tablename__ = "mail_outbox"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
                      Index("ix_mail_outbox_due", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what caused it (password_reset, account_created ...), for lists and tests
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the worker's claim: who holds the message and until when (a crashed worker's claim runs out)
    claim: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))

    attempt_log: Mapped[list[MailAttempt]] = relationship(
        back_populates="message", order_by="MailAttempt.id", lazy="selectin")


class MailAttempt(db.Model):
    """One try to deliver a message: started when claimed, finished with its outcome."""

    __tablename__ = "mail_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("mail_outbox.id"), index=True)
    claim: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: None while under way; sent | failed | refused | lease_expired (the worker died or hung mid-attempt)
    outcome: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(500))

    message: Mapped[OutboxMessage] = relationship(back_populates="attempt_log")
