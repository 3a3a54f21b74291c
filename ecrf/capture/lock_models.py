"""Freezes and locks, one row each, append-only: undoing one fills its undo columns; a new one is a new row."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.auth.models import Site
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow
from ecrf.study.locator import FormLocator, event_key
from ecrf.subjects.models import Subject

#: narrowest first
SCOPES = ("form", "event", "subject", "site", "study")
LEVELS = ("frozen", "locked")
#: the only columns an undo may set, once
UNDO_COLUMNS = frozenset({"undone_at", "undone_by_id", "undo_reason"})


class DataLock(db.Model):
    """A freeze (queries and SDV go on, no data change) or a lock (nothing changes) of a form, a visit, a
    subject's casebook, a site or the study; optionally only the scheduled visits up to ``up_to_event_oid``.

    Target keys: ``site_id`` for every scope but the study; ``subject_id`` for subject, event and form;
    ``event_oid``/``event_repeat`` for event and form; ``form_oid``/``form_repeat`` for a form. Visits and forms
    are named by their keys, so a visit or form not started yet can be frozen too.
    """

    __tablename__ = "data_lock"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(f"scope IN {SCOPES!r}", name="scope_known"),
        CheckConstraint(f"level IN {LEVELS!r}", name="level_known"),
        CheckConstraint("scope = 'study' OR site_id IS NOT NULL", name="site_named"),
        CheckConstraint("scope IN ('study', 'site') OR subject_id IS NOT NULL", name="subject_named"),
        CheckConstraint("scope NOT IN ('event', 'form') OR event_oid IS NOT NULL", name="event_named"),
        CheckConstraint("scope <> 'form' OR form_oid IS NOT NULL", name="form_named"),
        CheckConstraint("up_to_event_oid IS NULL OR scope IN ('subject', 'site', 'study')", name="up_to_wide"),
        CheckConstraint("(undone_at IS NULL) = (undone_by_id IS NULL) AND (undone_at IS NULL) = (undo_reason IS NULL)",
                        name="undo_attributed"),
        CheckConstraint("reason <> ''", name="reason_given"),
        Index("ix_data_lock_active", "undone_at", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    level: Mapped[str] = mapped_column(String(10))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"), index=True)
    event_oid: Mapped[str | None] = mapped_column(String(64))
    event_repeat: Mapped[int | None]
    form_oid: Mapped[str | None] = mapped_column(String(64))
    form_repeat: Mapped[int | None]
    #: the lock covers the scheduled visits up to and including this one (schedule order); None: everything
    up_to_event_oid: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undo_reason: Mapped[str | None] = mapped_column(Text)

    site: Mapped[Site | None] = relationship(lazy="joined")
    subject: Mapped[Subject | None] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.undone_at is None

    @property
    def target_key(self) -> str:
        """``study``, ``site 01``, ``01-S001``, ``01-S001/SE.M6[1]``, ``01-S001/SE.M6[1]/F.VS[1]``."""
        if self.scope == "study":
            return "study"
        if self.scope == "site":
            return f"site {self.site.code}"
        if self.scope == "subject":
            return self.subject.key
        if self.scope == "event":
            return event_key(self.subject.key, self.event_oid, self.event_repeat or 1)
        return FormLocator(self.subject.key, self.event_oid, self.form_oid, self.event_repeat or 1,
                           self.form_repeat or 1).key

    def audit_keys(self) -> dict:
        keys = self.subject.audit_keys() if self.subject else (self.site.audit_keys() if self.site else {})
        keys.update(entity_key=f"lock {self.id}: {self.target_key}")
        if self.event_oid:
            keys["event_oid"] = self.event_oid
        if self.form_oid:
            keys["form_oid"] = self.form_oid
        return keys
