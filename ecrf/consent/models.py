"""The register of approved informed consent form (ICF) versions, and consent withdrawals."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow
from ecrf.subjects.models import Subject

POPULATIONS = ("ADULT", "GUARDIAN", "ASSENT")  # the I.IC.TYPE codes of the consent CRF
WITHDRAWAL_SCOPES = ("ALL", "TREATMENT")


class IcfVersion(db.Model):
    """An ICF version approved by the ethics committee for one population."""

    __tablename__ = "icf_version"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("version", "population"),
        CheckConstraint(f"population IN {POPULATIONS!r}", name="population_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    #: ADULT (participant), GUARDIAN (parental permission) or ASSENT (child)
    population: Mapped[str] = mapped_column(String(20))
    approved_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def audit_keys(self) -> dict:
        return {"entity_key": f"ICF {self.population} v{self.version}"}


class ConsentWithdrawal(db.Model):
    """A participant (or guardian) withdrew consent: from everything, or from further treatment only."""

    __tablename__ = "consent_withdrawal"
    __audited__ = True
    __table_args__ = (CheckConstraint(f"scope IN {WITHDRAWAL_SCOPES!r}", name="scope_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    withdrawn_on: Mapped[date] = mapped_column(Date)
    #: ALL: no further data or procedures; TREATMENT: no further trial treatment, follow-up continues
    scope: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subject: Mapped[Subject] = relationship()

    def audit_keys(self) -> dict:
        return self.subject.audit_keys()
