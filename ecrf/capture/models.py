"""Captured data, shaped like ODM ClinicalData: event -> form -> one row per item value."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint, insert_sentinel
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow
from ecrf.study.locator import FormLocator, event_key
from ecrf.study.types import MISSING_CODES
from ecrf.subjects.models import Subject

EVENT_STATUSES = ("scheduled", "in_progress", "completed", "not_done")
FORM_STATUSES = ("incomplete", "complete")


class StudyEventData(db.Model):
    """One occurrence of a study event (visit) for a subject.

    Planned dates and windows are not stored: ecrf.visits derives them from the
    consent, lymphodepletion and infusion dates, so correcting a date moves them.
    """

    __tablename__ = "study_event_data"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("subject_id", "event_oid", "repeat_key"),
        CheckConstraint(f"status IN {EVENT_STATUSES!r}", name="status_known"),
        CheckConstraint("status <> 'not_done' OR not_done_reason IS NOT NULL", name="not_done_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    event_oid: Mapped[str] = mapped_column(String(64))
    #: 1 for non-repeating events; 1, 2, ... for unscheduled visits
    repeat_key: Mapped[int] = mapped_column(default=1)
    actual_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    not_done_reason: Mapped[str | None] = mapped_column(String(500))

    subject: Mapped[Subject] = relationship()
    forms: Mapped[list[FormData]] = relationship(back_populates="event")

    def audit_keys(self) -> dict:
        keys = self.subject.audit_keys()
        keys.update(event_oid=self.event_oid, entity_key=event_key(self.subject.key, self.event_oid, self.repeat_key))
        return keys


class FormData(db.Model):
    """One CRF instance at an event. ``version`` guards against lost updates.

    Freezes and locks are not columns here: ecrf.capture.locks (DataLock rows) is their one source of truth.
    """

    __tablename__ = "form_data"
    __audited__ = True
    __audit_ignore__ = frozenset({"updated_at", "updated_by_id", "version"})
    __table_args__ = (
        UniqueConstraint("event_id", "form_oid", "repeat_key"),
        CheckConstraint(f"status IN {FORM_STATUSES!r}", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("study_event_data.id"), index=True)
    form_oid: Mapped[str] = mapped_column(String(64))
    repeat_key: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="incomplete")
    #: set the first time the form was saved complete; from then on changes need a reason
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    event: Mapped[StudyEventData] = relationship(back_populates="forms")
    items: Mapped[list[ItemData]] = relationship(back_populates="form", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}

    @property
    def values(self) -> dict[str, str | None]:
        return {i.item_oid: i.value for i in self.items}

    @property
    def flags(self) -> dict[str, tuple[str, str | None]]:
        """The items answered "not done"/"unknown" instead of a value: OID -> (code, reason)."""
        return {i.item_oid: (i.missing_code, i.missing_reason) for i in self.items if i.missing_code}

    @property
    def locator(self) -> FormLocator:
        return FormLocator(self.event.subject.key, self.event.event_oid, self.form_oid, self.event.repeat_key,
                           self.repeat_key)

    def audit_keys(self) -> dict:
        keys = self.event.audit_keys()
        keys.update(form_oid=self.form_oid, entity_key=self.locator.key)
        return keys


class ItemData(db.Model):
    """One item value, as its canonical string (ODM ItemData Value). Cleared values stay as NULL rows."""

    __tablename__ = "item_data"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("form_id", "item_oid"),
        CheckConstraint(f"missing_code IS NULL OR missing_code IN {tuple(MISSING_CODES)!r}", name="missing_known"),
        CheckConstraint("missing_code IS NULL OR (value IS NULL AND missing_reason IS NOT NULL)",
                        name="missing_alone_with_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_data.id"), index=True)
    item_oid: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    #: an explicit "no value" (ecrf.study.types.MISSING_CODES: NOT_DONE, UNKNOWN), never with a value, with its reason
    missing_code: Mapped[str | None] = mapped_column(String(20))
    missing_reason: Mapped[str | None] = mapped_column(String(500))
    #: for calculated items: the formula and its version that produced the value
    formula: Mapped[str | None] = mapped_column(String(200))
    #: lets SQLite insert a form's new values in one multi-row INSERT ... RETURNING with ids in order
    _batch_sentinel: Mapped[int | None] = insert_sentinel("batch_sentinel")

    form: Mapped[FormData] = relationship(back_populates="items")

    def audit_keys(self) -> dict:
        keys = self.form.audit_keys()
        keys.update(item_oid=self.item_oid, entity_key=self.form.locator.item_key(self.item_oid))
        return keys
