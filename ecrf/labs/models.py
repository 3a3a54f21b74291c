"""A site's laboratories and each laboratory's normal ranges per analyte.

Limits are kept as decimal text (as item values are), so 0.70 stays 0.70 on every engine and nothing goes
through a float. A range is never deleted: it is ended (``effective_to``) or corrected, and every change is in the
audit trail with its reason (``ecrf.labs.services``).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.auth.models import Site
from ecrf.clinical import lab_ranges
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow


class Laboratory(db.Model):
    """A laboratory a site's samples are analysed at; lab forms name it by ``code``."""

    __tablename__ = "laboratory"
    __audited__ = True
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()
    ranges: Mapped[list[NormalRange]] = relationship(back_populates="laboratory", order_by="NormalRange.id")

    def audit_keys(self) -> dict:
        return {"entity_key": f"lab {self.code}", "site_code": self.site.code if self.site else None}


class NormalRange(db.Model):
    """One normal range of one analyte (a lab item OID) for an age band and a sex band, in force for dates."""

    __tablename__ = "normal_range"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("sex IS NULL OR sex IN ('M', 'F')", name="sex_known"),
        CheckConstraint("low IS NOT NULL OR high IS NOT NULL", name="has_limit"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="dates_ordered"),
        CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_max >= age_min", name="ages_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    laboratory_id: Mapped[int] = mapped_column(ForeignKey("laboratory.id"), index=True)
    analyte: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(30))
    low: Mapped[str | None] = mapped_column(String(20))
    high: Mapped[str | None] = mapped_column(String(20))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    age_min: Mapped[int | None] = mapped_column()
    age_max: Mapped[int | None] = mapped_column()
    sex: Mapped[str | None] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    laboratory: Mapped[Laboratory] = relationship(back_populates="ranges")

    def audit_keys(self) -> dict:
        lab = self.laboratory
        return {"entity_key": f"range {lab.code if lab else '?'} {self.analyte}",
                "site_code": lab.site.code if lab and lab.site else None}

    def as_range(self, laboratory_code: str | None = None) -> lab_ranges.Range:
        """The pure value the range rules work on."""
        return lab_ranges.Range(
            laboratory_code or self.laboratory.code, self.analyte, self.unit,
            None if self.low is None else Decimal(self.low), None if self.high is None else Decimal(self.high),
            self.effective_from, self.effective_to, self.age_min, self.age_max, self.sex)
