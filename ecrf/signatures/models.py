"""Electronic signatures: who signed what data, meaning what, when, and whether that data has changed since.

A row is written once and never deleted (21 CFR 11.70: a signature stays linked to its record). The one later
change allowed is marking it broken, once: :func:`_append_only` refuses anything else at flush. Re-signing writes
a new row.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.errors import AuditBypassError
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.signatures.coverage import SCOPES, Scope
from ecrf.study.clock import utcnow
from ecrf.subjects.models import Subject


class Signature(db.Model):
    """One signing by an investigator of a form, a visit, the casebook, or the eligibility data of a subject."""

    __tablename__ = "signature"
    __audited__ = True
    __table_args__ = (
        CheckConstraint(f"scope IN {SCOPES!r}", name="scope_known"),
        CheckConstraint("(broken_at IS NULL) = (broken_cause IS NULL)", name="break_has_cause"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    #: form | visit | casebook | eligibility; the locator columns below say which form or visit
    scope: Mapped[str] = mapped_column(String(20))
    event_oid: Mapped[str | None] = mapped_column(String(64))
    event_repeat: Mapped[int | None]
    form_oid: Mapped[str | None] = mapped_column(String(64))
    form_repeat: Mapped[int | None]
    signer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    #: the signer's full name when signing (11.50(a)(1)): a later change of the account's name does not alter it
    printed_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the meaning chosen from SIGNATURE_MEANINGS (11.50(a)(3))
    meaning: Mapped[str] = mapped_column(String(200))
    #: SHA-256 (hex) of exactly the data covered, as ecrf.signatures.coverage.canonical writes it
    data_hash: Mapped[str] = mapped_column(String(64))
    broken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    broken_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: JSON {"form": locator key, "items": [item OIDs]} of the change that broke it
    broken_cause: Mapped[str | None] = mapped_column(Text)

    subject: Mapped[Subject] = relationship()

    @property
    def scope_of(self) -> Scope:
        return Scope(self.scope, self.event_oid, self.event_repeat, self.form_oid, self.form_repeat)

    @property
    def key(self) -> str:
        return self.scope_of.key(self.subject.key)

    @property
    def valid(self) -> bool:
        return self.broken_at is None

    @property
    def state(self) -> str:
        return "valid" if self.broken_at is None else "broken"

    def audit_keys(self) -> dict:
        keys = self.subject.audit_keys()
        keys.update(entity_key=self.key)
        if self.event_oid:
            keys.update(event_oid=self.event_oid)
        if self.form_oid:
            keys.update(form_oid=self.form_oid)
        return keys


_BREAK = frozenset({"broken_at", "broken_by_id", "broken_cause"})


@event.listens_for(Signature, "before_update")
def _append_only(mapper, connection, target: Signature) -> None:
    state = inspect(target)
    changed = {a.key for a in state.attrs if a.history.has_changes()} & {c.key for c in mapper.column_attrs}
    was_broken = any(old is not None for old in state.attrs.broken_at.history.deleted)
    if changed - _BREAK or was_broken:
        raise AuditBypassError("A signature is never changed, only marked broken once; sign again instead.")


@event.listens_for(Signature, "before_delete")
def _never_deleted(mapper, connection, target: Signature) -> None:
    raise AuditBypassError("A signature is never deleted.")
