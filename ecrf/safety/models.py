"""The safety notifications sent: one row per (kind, form), so each event is mailed once.

Append-only by use (the service only inserts) and audited: every notification is a record of the trail, with the
recipients it was queued for. On PostgreSQL the application role may only read and insert it
(ecrf.infra.app_role.APPEND_ONLY).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.capture.models import FormData
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow

#: a new SAE, a positive pregnancy test, CRS or ICANS of grade 3 or more, a dose-limiting toxicity
KINDS = ("sae", "pregnancy", "crs_grade3", "icans_grade3", "dlt")


class SafetyNotification(db.Model):
    __tablename__ = "safety_notification"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("kind", "form_id"),
        CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: the form whose save was the event (the AE record, the pregnancy test, the CRS or ICANS assessment)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_data.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the addresses the mail was queued for, comma-separated (empty when none was configured)
    recipients: Mapped[str] = mapped_column(Text, default="")

    form: Mapped[FormData] = relationship()

    def audit_keys(self) -> dict:
        keys = self.form.audit_keys()
        keys.update(entity_key=f"{self.form.locator.key}#notification:{self.kind}")
        return keys
