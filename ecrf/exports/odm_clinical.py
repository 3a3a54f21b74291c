"""What the ODM snapshot and transactional files share inside ``ClinicalData``: the definition's order and item
groups, values as the reader's role may see them, the explicit "no value" answers, signatures and audit records.

An item answered "not done" or "unknown" has no value and ODM 1.3.2 has no missing flag in ItemData, so it is
written ``IsNull="Yes"`` with an Annotation whose Flag names the code in the code list ``CL.ECRF.MISSING``
(declared in the MetaDataVersion) and whose Comment gives the reason: plain ODM, no vendor extension."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ecrf.exports import scope
from ecrf.exports.kinds import Request
from ecrf.exports.odm_xml import (
    MISSING_CODELIST,
    location_oid,
    piece,
    q,
    signature_oid,
    sub,
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


# the hot path (one ItemData and its AuditRecord per audit record, a million in a large study) builds elements with
# lxml directly: tags resolved once, attributes given as plain dicts
_SUB = etree.SubElement
_ITEM, _AUDIT, _USER, _LOCATION, _STAMP, _REASON, _SOURCE = (q(t) for t in (
    "ItemData", "AuditRecord", "UserRef", "LocationRef", "DateTimeStamp", "ReasonForChange", "SourceID"))


def item_data(parent, oid: str, value: str | None, missing: tuple[str, str | None] | None = None, *,
              transaction: str | None = None, audit: dict | None = None) -> None:
    """One ItemData in ``parent``: ``value`` (already masked), or ``missing`` (code, reason) as IsNull with its
    flag; a Remove carries neither. ``audit``: its AuditRecord's fields (transactional files)."""
    attributes = {"ItemOID": oid}
    if transaction is not None:
        attributes["TransactionType"] = transaction
    removed = transaction == "Remove"
    if missing and not removed:
        attributes["IsNull"] = "Yes"
    elif value is not None and not removed:
        attributes["Value"] = text(value)
    element = _SUB(parent, _ITEM, attributes)
    if audit is not None:
        audit_record(element, **audit)
    if missing and not removed:
        code, reason = missing
        annotation = sub(element, "Annotation", SeqNum="1")
        if reason:
            sub(annotation, "Comment", reason, SponsorOrSite="Site")
        sub(sub(annotation, "Flag"), "FlagValue", code, CodeListOID=MISSING_CODELIST)


def audit_record(parent, *, username: str, site_code: str, when: datetime | str, reason: str | None, source: str,
                 role: str | None = None) -> None:
    """``when``: a moment, or its text already made (a save's records share it)."""
    point = _EDIT_POINTS.get(role)
    record = _SUB(parent, _AUDIT, {"EditPoint": point} if point else {})
    _SUB(record, _USER, {"UserOID": user_oid(username)})
    _SUB(record, _LOCATION, {"LocationOID": location_oid(site_code)})
    _SUB(record, _STAMP).text = when if isinstance(when, str) else timestamp(when)
    if reason:
        _SUB(record, _REASON).text = text(reason)
    _SUB(record, _SOURCE).text = source


def signature(parent, *, username: str, site_code: str, meaning: str, when: datetime):
    """A Signature in ``parent``, or as a piece of its own (``parent`` None); returned."""
    element = piece("Signature") if parent is None else sub(parent, "Signature")
    sub(element, "UserRef", UserOID=user_oid(username))
    sub(element, "LocationRef", LocationOID=location_oid(site_code))
    sub(element, "SignatureRef", SignatureOID=signature_oid(meaning))
    sub(element, "DateTimeStamp", timestamp(when))
    return element


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
