"""Eligibility reviews by the investigator, and the safety review's dose decisions."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.signatures.models import Signature
from ecrf.study.clock import utcnow
from ecrf.subjects.models import Subject

DECISIONS = ("escalate", "stay", "de_escalate", "stop")


class EligibilityReview(db.Model):
    """The investigator's signed confirmation of eligibility, with the criteria as evaluated then."""

    __tablename__ = "eligibility_review"
    __audited__ = True
    __table_args__ = (
        CheckConstraint("overridden = '' OR override_reason IS NOT NULL", name="override_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    eligible: Mapped[bool]
    #: comma-separated criterion codes the investigator overrode ("" when none)
    overridden: Mapped[str] = mapped_column(String(200), default="")
    override_reason: Mapped[str | None] = mapped_column(Text)
    #: JSON list of every criterion as evaluated when confirming: {"code", "status", "message", "missing"}, the
    #: message a code with parameters (ecrf.study.messages); rows from before codes hold {"code": "legacy", "text"}
    snapshot: Mapped[str] = mapped_column(Text)
    #: JSON list of the item OIDs missing when the investigator confirmed eligible over missing data, having
    #: ticked "I confirm eligibility although the following data are missing" (None: nothing was missing)
    missing_acknowledged: Mapped[str | None] = mapped_column(Text)
    #: the electronic signature of the confirmation (scope "eligibility"); None for reviews made before signatures
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signature.id"))

    subject: Mapped[Subject] = relationship()
    signature: Mapped[Signature | None] = relationship()

    def audit_keys(self) -> dict:
        return self.subject.audit_keys()


class DoseDecision(db.Model):
    """A safety review decision on dose escalation; it gates assignment of the next dose level."""

    __tablename__ = "dose_decision"
    __audited__ = True
    __table_args__ = (CheckConstraint(f"decision IN {DECISIONS!r}", name="decision_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decided_on: Mapped[date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(20))
    from_level: Mapped[int]
    #: the level new subjects are assigned after this decision (None after "stop")
    to_level: Mapped[int | None]
    rationale: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def audit_keys(self) -> dict:
        return {"entity_key": f"dose decision {self.decided_on}: {self.decision} {self.from_level}->{self.to_level}"}
