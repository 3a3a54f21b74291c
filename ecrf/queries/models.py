"""Queries on captured items (CDISC ODM 2.0 Query): one row per query, and its thread of messages.

A query is raised on one item of one stored form, by an edit check (the system), a monitor or a data manager.
Its state moves open -> answered -> closed (or cancelled), and re-opening returns it to open; each step is a
:class:`QueryMessage` (who, in which role, when, what was said, the state after). Messages are append-only: no
code path updates or deletes one, and the database refuses it too (migration 10qry's triggers). Both tables are
audited, so every step is also in the audit trail.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.capture.models import FormData
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow

OPEN, ANSWERED, CLOSED, CANCELLED = "open", "answered", "closed", "cancelled"
STATES = (OPEN, ANSWERED, CLOSED, CANCELLED)
#: a query still waiting for someone (the site to answer, or the raiser to close)
ACTIVE = (OPEN, ANSWERED)
SYSTEM = "system"
RAISER_ROLES = ("monitor", "data_manager", SYSTEM)
STEPS = ("raise", "answer", "close", "cancel", "reopen")
TEXT_MAX = 2000


class Query(db.Model):
    __tablename__ = "item_query"
    __audited__ = True
    __audit_ignore__ = frozenset({"updated_at"})
    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state_known"),
        CheckConstraint(f"raised_role IN {RAISER_ROLES!r}", name="raiser_role_known"),
        # a system query names its check and no person; a person's query names the person and no check
        CheckConstraint("(raised_role = 'system') = (raised_by_id IS NULL)", name="raiser_attributed"),
        CheckConstraint("(raised_role = 'system') = (check_id IS NOT NULL)", name="system_has_check"),
        Index("ix_item_query_form_item", "form_id", "item_oid"),
        Index("ix_item_query_state", "state", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_data.id"))
    item_oid: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), default=OPEN)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    raised_role: Mapped[str] = mapped_column(String(20))
    #: the edit check of a system query (ecrf.study.checks.Finding.check_id)
    check_id: Mapped[str | None] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    form: Mapped[FormData] = relationship()
    messages: Mapped[list[QueryMessage]] = relationship(back_populates="query", order_by="QueryMessage.id",
                                                        lazy="selectin")

    @property
    def is_system(self) -> bool:
        return self.raised_role == SYSTEM

    def audit_keys(self) -> dict:
        keys = self.form.audit_keys()
        keys.update(item_oid=self.item_oid, entity_key=f"{self.form.locator.item_key(self.item_oid)}/Q{self.id}")
        return keys


class QueryMessage(db.Model):
    """One step of a query's thread; never changed or deleted."""

    __tablename__ = "item_query_message"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(f"state_after IN {STATES!r}", name="state_known"),
        CheckConstraint(f"step IN {STEPS!r}", name="step_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("item_query.id"), index=True)
    step: Mapped[str] = mapped_column(String(20))
    #: None for the system (an edit check, or a data change that answered the query on its own)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    state_after: Mapped[str] = mapped_column(String(20))

    query: Mapped[Query] = relationship(back_populates="messages")

    def audit_keys(self) -> dict:
        return self.query.audit_keys()
