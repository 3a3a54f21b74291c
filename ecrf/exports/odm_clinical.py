"""What the ODM snapshot and transactional files share inside ``ClinicalData``: the definition's order and item
groups, values as the reader's role may see them, the explicit "no value" answers, signatures and audit records.

An item answered "not done" or "unknown" has no value and ODM 1.3.2 has no missing flag in ItemData, so it is
written ``IsNull="Yes"`` with an Annotation whose Flag names the code in the code list ``CL.ECRF.MISSING``
(declared in the MetaDataVersion) and whose Comment gives the reason: plain ODM, no vendor extension."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ecrf.exports import scope
from ecrf.exports.kinds import Request
from ecrf.exports.odm_xml import (
    MISSING_CODELIST,
    attrs,
    leaf,
    location_oid,
    q,
    signature_oid,
    text,
    timestamp,
    user_oid,
)
from ecrf.study import masking
from ecrf.study.definition import Study
from ecrf.study.types import Item
from ecrf.subjects.models import Subject

#: an AuditRecord's EditPoint for the roles ODM names (site staff enter data: ODM has no word for that)
_EDIT_POINTS = {"monitor": "Monitoring", "data_manager": "DataManagement"}


def subject_ids(request: Request) -> Select:
    """The ids of the request's subjects, as a subquery to filter by."""
    return scope.subjects_select(request).with_only_columns(Subject.id).order_by(None)


def count(session: Session, request: Request) -> int:
    return session.scalar(select(func.count()).select_from(subject_ids(request).subquery()))


@dataclass(frozen=True)
class Layout:
    """The definition as the clinical data is written: OIDs to definitions, and the order of events, forms and
    items (the writers sort what the database returns into the CRF's order)."""

    study: Study
    role: str
    form_of: dict[str, str]  # item OID -> its form OID
    group_of: dict[str, str]  # item OID -> its item group OID
    item_rank: dict[str, tuple[int, int]]  # item OID -> (group position, item position) within its form
    event_rank: dict[str, int]
    form_rank: dict[tuple[str, str], int]  # (event OID, form OID) -> position at that event

    @classmethod
    def of(cls, study: Study, role: str) -> Layout:
        form_of, group_of, item_rank = {}, {}, {}
        for form in study.forms:
            for g, group in enumerate(form.groups):
                for i, item in enumerate(group.items):
                    form_of[item.oid], group_of[item.oid], item_rank[item.oid] = form.oid, group.oid, (g, i)
        return cls(study, role, form_of, group_of, item_rank, {e.oid: n for n, e in enumerate(study.events)},
                   {(e.oid, r.form_oid): n for e in study.events for n, r in enumerate(e.forms)})

    def knows(self, event_oid: str, form_oid: str, item_oid: str | None = None) -> bool:
        """Whether the MetaDataVersion describes this place (a value of an OID the definition no longer has could
        not be read against it, so it is left out rather than written undescribed)."""
        return (event_oid, form_oid) in self.form_rank and (item_oid is None or self.form_of.get(item_oid) == form_oid)

    def value(self, item: Item, value: str | None) -> str | None:
        return masking.masked(item, value, self.role)

    def reason(self, reason: str | None) -> str | None:
        """The reason given for a "not done"/"unknown" answer: people's words, for the roles that see full values."""
        if reason is None:
            return None
        return reason if masking.sees_full(self.role) else masking.WITHHELD


def item_data(xf, oid: str, value: str | None, missing: tuple[str, str | None] | None = None, *,
              transaction: str | None = None, audit: Callable[[], None] | None = None) -> None:
    """One ItemData: ``value`` (already masked), or ``missing`` (code, reason) as IsNull with its flag; a Remove
    carries neither. ``audit`` writes its AuditRecord (transactional files)."""
    removed = transaction == "Remove"
    with xf.element(q("ItemData"), attrs(
            ItemOID=oid, TransactionType=transaction,
            Value=None if removed or missing or value is None else text(value),
            IsNull="Yes" if missing and not removed else None)):
        if audit is not None:
            audit()
        if missing and not removed:
            code, reason = missing
            with xf.element(q("Annotation"), SeqNum="1"):
                if reason:
                    leaf(xf, "Comment", reason, SponsorOrSite="Site")
                with xf.element(q("Flag")):
                    leaf(xf, "FlagValue", code, CodeListOID=MISSING_CODELIST)


def audit_record(xf, *, username: str, site_code: str, when: datetime, reason: str | None, source: str,
                 role: str | None = None) -> None:
    with xf.element(q("AuditRecord"), attrs(EditPoint=_EDIT_POINTS.get(role))):
        leaf(xf, "UserRef", UserOID=user_oid(username))
        leaf(xf, "LocationRef", LocationOID=location_oid(site_code))
        leaf(xf, "DateTimeStamp", timestamp(when))
        if reason:
            leaf(xf, "ReasonForChange", reason)
        leaf(xf, "SourceID", source)


def signature(xf, *, username: str, site_code: str, meaning: str, when: datetime) -> None:
    with xf.element(q("Signature")):
        leaf(xf, "UserRef", UserOID=user_oid(username))
        leaf(xf, "LocationRef", LocationOID=location_oid(site_code))
        leaf(xf, "SignatureRef", SignatureOID=signature_oid(meaning))
        leaf(xf, "DateTimeStamp", timestamp(when))


SUBJECT_LEVEL = ("subject",)


def signature_place(scope: str, event_oid, event_repeat, form_oid, form_repeat) -> tuple:
    """Where a signature is written: on the SubjectData (the casebook, the eligibility confirmation), the
    StudyEventData of a visit, or the FormData of a form."""
    if scope == "visit":
        return ("visit", event_oid, event_repeat or 1)
    if scope == "form":
        return ("form", event_oid, event_repeat or 1, form_oid, form_repeat or 1)
    return SUBJECT_LEVEL


def shown_signatures(rows) -> dict[tuple, object]:
    """The signature a snapshot shows at each place, from a subject's holding signatures oldest first: ODM allows
    one per element, so the latest of a place; on the subject, the casebook's before the eligibility's (it covers
    all the data)."""
    out: dict[tuple, object] = {}
    for row in rows:
        place = signature_place(row.scope, row.event_oid, row.event_repeat, row.form_oid, row.form_repeat)
        if place == SUBJECT_LEVEL and row.scope != "casebook" and place in out and out[place].scope == "casebook":
            continue
        out[place] = row
    return out
