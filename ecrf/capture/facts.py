"""Reading a subject's stored values across forms, in one query (for rules and calculators)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, ItemData, StudyEventData


def latest_values(session: Session, subject_id: int, oids: Iterable[str], event_oid: str | None = None) -> dict:
    """The most recently saved non-empty value of each item OID for the subject (optionally at one event)."""
    oids = set(oids)
    if not oids:
        return {}
    stmt = (
        select(ItemData.item_oid, ItemData.value)
        .join(ItemData.form).join(FormData.event)
        .where(StudyEventData.subject_id == subject_id, ItemData.item_oid.in_(oids), ItemData.value.is_not(None))
        .order_by(FormData.updated_at, FormData.id)
    )
    if event_oid:
        stmt = stmt.where(StudyEventData.event_oid == event_oid)
    return {oid: value for oid, value in session.execute(stmt)}


def latest_and_earliest(session: Session, subject_id: int, latest: Iterable[str],
                        earliest: Iterable[str]) -> tuple[dict, dict]:
    """In one query: the latest saved non-empty value of each ``latest`` OID (as :func:`latest_values`) and the
    earliest value of each ``earliest`` OID across every instance (the first consent). Stored values are canonical
    strings (ISO dates, UTC date-times with Z), so the least string is the earliest."""
    latest, earliest = set(latest), set(earliest)
    if not latest and not earliest:
        return {}, {}
    rows = session.execute(
        select(ItemData.item_oid, ItemData.value)
        .join(ItemData.form).join(FormData.event)
        .where(StudyEventData.subject_id == subject_id, ItemData.item_oid.in_(latest | earliest),
               ItemData.value.is_not(None))
        .order_by(FormData.updated_at, FormData.id)
    )
    last, first = {}, {}
    for oid, value in rows:
        if oid in latest:
            last[oid] = value
        if oid in earliest and (oid not in first or value < first[oid]):
            first[oid] = value
    return last, first


def form_entries(session: Session, subject_id: int, form_oid: str, event_oid: str | None = None) -> list[dict]:
    """Every instance of a (repeating) form for the subject, as {item OID: value} dicts, oldest first."""
    stmt = (
        select(FormData).join(FormData.event)
        .where(StudyEventData.subject_id == subject_id, FormData.form_oid == form_oid)
        .order_by(StudyEventData.repeat_key, FormData.repeat_key)
    )
    if event_oid:
        stmt = stmt.where(StudyEventData.event_oid == event_oid)
    return [f.values for f in session.scalars(stmt)]


def records(session: Session, subject_id: int, form_oids: Iterable[str]) -> dict[str, dict[int, dict]]:
    """Every record of the subject's (repeating) logs, in one query: {form OID: {record number: {item OID:
    value}}}, the record number being the form's repeat (AE record 3 is F.AE #3)."""
    form_oids = set(form_oids)
    if not form_oids:
        return {}
    out: dict[str, dict[int, dict]] = {oid: {} for oid in form_oids}
    rows = session.execute(
        select(FormData.form_oid, FormData.repeat_key, ItemData.item_oid, ItemData.value)
        .join(FormData.event).outerjoin(FormData.items)
        .where(StudyEventData.subject_id == subject_id, FormData.form_oid.in_(form_oids))
    )
    for form_oid, number, item_oid, value in rows:
        record = out[form_oid].setdefault(number, {})
        if item_oid is not None:
            record[item_oid] = value
    return out


def instances(session: Session, subject_id: int, form_oid: str, oids: Iterable[str]) -> list[tuple[int, dict]]:
    """The given items of every instance of a form for the subject, at any event: [(form id, {OID: value})], in
    one query (a calculator reading the earlier assessments picks its own)."""
    out: dict[int, dict] = {}
    rows = session.execute(
        select(FormData.id, ItemData.item_oid, ItemData.value)
        .join(FormData.event).join(FormData.items)
        .where(StudyEventData.subject_id == subject_id, FormData.form_oid == form_oid,
               ItemData.item_oid.in_(set(oids)))
        .order_by(FormData.id)
    )
    for form_id, oid, value in rows:
        out.setdefault(form_id, {})[oid] = value
    return list(out.items())


def event_values(session: Session, subject_id: int, event_oids: Iterable[str]) -> dict[str, dict]:
    """All stored values at the given events, as {event OID: {item OID: value}} (first repeat), in one query."""
    rows = session.execute(
        select(StudyEventData.event_oid, ItemData.item_oid, ItemData.value)
        .join(StudyEventData.forms).join(FormData.items)
        .where(StudyEventData.subject_id == subject_id, StudyEventData.event_oid.in_(set(event_oids)),
               StudyEventData.repeat_key == 1, FormData.repeat_key == 1)
    )
    out: dict[str, dict] = {}
    for event_oid, oid, value in rows:
        out.setdefault(event_oid, {})[oid] = value
    return out


def forms_with(session: Session, subject_id: int, oids: Iterable[str]) -> list[tuple[str, dict]]:
    """Every form of the subject holding one of ``oids``, as (form OID, {item OID: value} of those items), in the
    order the forms were created, in one query (a subject's counts or medications over time)."""
    forms: dict[int, tuple[str, dict]] = {}
    rows = session.execute(
        select(FormData.id, FormData.form_oid, ItemData.item_oid, ItemData.value)
        .join(ItemData.form).join(FormData.event)
        .where(StudyEventData.subject_id == subject_id, ItemData.item_oid.in_(set(oids)), ItemData.value.is_not(None))
        .order_by(FormData.id)
    )
    for form_id, form_oid, oid, value in rows:
        forms.setdefault(form_id, (form_oid, {}))[1][oid] = value
    return list(forms.values())
