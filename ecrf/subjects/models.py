"""Subjects: known by codes only, never by name."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.auth.models import Site
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow
from ecrf.subjects.lifecycle import STATUSES


class Subject(db.Model):
    """A participant, from screening on. ``key`` (the screening number) never changes."""

    __tablename__ = "subject"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        CheckConstraint("(subject_no IS NULL) = (enrolled_on IS NULL)", name="enrolment_complete"),
        CheckConstraint("status <> 'screen_failed' OR screen_fail_reason IS NOT NULL", name="screen_fail_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    #: screening number, e.g. "01-S003": the subject's key in URLs, the API and ODM (SubjectKey)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    #: subject number assigned at enrolment, e.g. "01-007"
    subject_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="screening")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: why screening ended without enrolment (the screening log)
    screen_fail_reason: Mapped[str | None] = mapped_column(String(500))
    enrolled_on: Mapped[date | None] = mapped_column(Date)
    #: assigned CAR-T dose level (1, 2, 3) and the subject's place within it (1 = sentinel)
    dose_level: Mapped[int | None]
    cohort_seq: Mapped[int | None]

    site: Mapped[Site] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        return self.subject_no or self.key

    def audit_keys(self) -> dict:
        return {"subject_key": self.key, "site_code": self.site.code, "entity_key": self.key}


class Counter(db.Model):
    """Named sequences (screening and subject numbers per site), advanced atomically."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
