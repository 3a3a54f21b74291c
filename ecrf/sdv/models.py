"""Source-data verification: one row per verified item of a stored form, and each site's SDV plan.

An item with no row is not verified. A row is "verified" (by whom, when, at which value) until a later change of
the item's value turns it "changed" (by whom, when); a new verification makes it "verified" again. Both tables
are audited, so the trail keeps every verification and every reset.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.auth.models import Site
from ecrf.capture.models import FormData
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.sdv.plan import THEN
from ecrf.study.clock import utcnow
from ecrf.study.definition import load as load_study

STATES = ("verified", "changed")


class ItemVerification(db.Model):
    """The verification of one item of one stored form against source."""

    __tablename__ = "item_verification"
    __audited__ = True
    __table_args__ = (
        UniqueConstraint("form_id", "item_oid"),
        CheckConstraint(f"state IN {STATES!r}", name="state_known"),
        CheckConstraint("state <> 'changed' OR changed_at IS NOT NULL", name="change_dated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form_data.id"), index=True)
    item_oid: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    #: the value as it was when verified (the canonical string of ItemData.value)
    verified_value: Mapped[str] = mapped_column(Text)
    verified_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: who changed the value after the verification, and when (the reset)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    form: Mapped[FormData] = relationship()

    @property
    def __audit_redact__(self) -> frozenset[str]:
        """An identifying item's value stays out of the trail's record of its verification (the item's own
        history holds it, reduced for the readers who see it reduced)."""
        item = load_study().items.get(self.item_oid)
        return frozenset({"verified_value"}) if item is not None and item.identifying else frozenset()

    def audit_keys(self) -> dict:
        keys = self.form.audit_keys()
        keys.update(item_oid=self.item_oid, entity_key=self.form.locator.item_key(self.item_oid))
        return keys


class SdvPlan(db.Model):
    """A site's SDV plan (ecrf.sdv.plan.Plan); a site without one follows the protocol's default."""

    __tablename__ = "sdv_plan"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(f"then_rule IN {THEN!r}", name="then_known"),
        CheckConstraint("full_first_n >= 0", name="full_first_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), unique=True)
    full_first_n: Mapped[int]
    then_rule: Mapped[str] = mapped_column(String(20))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship()

    def audit_keys(self) -> dict:
        return {"site_code": self.site.code, "entity_key": f"SDV plan of site {self.site.code}"}
