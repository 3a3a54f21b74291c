"""Verifying items against source, resetting a verification when its value changes, and the sites' SDV plans.

Only monitors verify (``verify_source``), on subjects of their sites; a data manager or a monitor sets a site's
plan (``manage_sdv_plan``). A LOCKED form refuses verification (423, nothing changes); a FROZEN one allows it.
Every write flushes, so the audit trail records it in the caller's transaction; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ecrf.auth.models import Site, User
from ecrf.auth.permissions import can
from ecrf.capture.locks import LockState, form_state
from ecrf.capture.models import FormData
from ecrf.errors import Forbidden, Invalid, Locked
from ecrf.sdv import plan as plans_
from ecrf.sdv.models import ItemVerification, SdvPlan
from ecrf.sdv.plan import MAX_FULL_FIRST, THEN, Plan
from ecrf.study.clock import utcnow
from ecrf.study.types import Form
from ecrf.subjects.models import Subject

NOT_VERIFIED, VERIFIED, CHANGED = "not_verified", "verified", "changed"


# -- plans ---------------------------------------------------------------------------------------------------------

def plans(session: Session, site_ids) -> dict[int, Plan]:
    """The plan in force at each of ``site_ids`` (its own, or the protocol's default): one statement."""
    default = plans_.default()
    out = dict.fromkeys(site_ids, default)
    if site_ids:
        for row in session.scalars(select(SdvPlan).where(SdvPlan.site_id.in_(site_ids))):
            out[row.site_id] = Plan(row.full_first_n, row.then_rule)
    return out


def plan_for(session: Session, site_id: int) -> Plan:
    return plans(session, [site_id])[site_id]


def own_plan(session: Session, site_id: int) -> SdvPlan | None:
    """The site's own plan row (None: it follows the protocol's default)."""
    return session.scalar(select(SdvPlan).where(SdvPlan.site_id == site_id))


def set_plan(session: Session, site: Site, full_first_n, then, user) -> SdvPlan:
    """Give ``site`` its own SDV plan (audited); data managers and monitors of the site only.

    :raises Forbidden: another role, or another site's
    :raises Invalid: a count that is no whole number in 0..MAX_FULL_FIRST, or an unknown rule
    """
    if not can(user, "manage_sdv_plan") or site.id not in user.site_ids:
        raise Forbidden("Only a data manager or a monitor of this site may change its SDV plan.")
    errors = {}
    if isinstance(full_first_n, bool) or not isinstance(full_first_n, int) or not (
            0 <= full_first_n <= MAX_FULL_FIRST):
        errors["full_first_n"] = f"Give a whole number of subjects from 0 to {MAX_FULL_FIRST}."
    if then not in THEN:
        errors["then"] = f"Choose one of: {', '.join(THEN)}."
    if errors:
        raise Invalid(errors)
    row = own_plan(session, site.id)
    if row is None:
        row = SdvPlan(site=site, site_id=site.id)
        session.add(row)
    if row.full_first_n != full_first_n or row.then_rule != then:
        row.full_first_n, row.then_rule = full_first_n, then
        row.updated_by_id, row.updated_at = user.id, utcnow()
    session.flush()
    return row


def subject_ranks(session: Session, site_ids) -> dict[int, int]:
    """Each subject's place at its site, 1 for the first created there: one statement for all the sites."""
    out, seen = {}, {}
    if site_ids:
        for subject_id, site_id in session.execute(
                select(Subject.id, Subject.site_id).where(Subject.site_id.in_(site_ids)).order_by(Subject.id)):
            seen[site_id] = seen.get(site_id, 0) + 1
            out[subject_id] = seen[site_id]
    return out


def subject_rank(session: Session, subject: Subject) -> int:
    return session.scalar(select(func.count(Subject.id)).where(
        Subject.site_id == subject.site_id, Subject.id <= subject.id))


def required_for(session: Session, subject: Subject, definition: Form) -> set[str]:
    """The items of ``definition`` the subject's site plan requires verified for this subject (two statements)."""
    return plans_.required_items(plan_for(session, subject.site_id), subject_rank(session, subject), definition)


# -- item states ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemState:
    """What a page or the API shows of one item's verification."""

    state: str
    verified_value: str | None = None
    verified_by: str | None = None
    verified_at: datetime | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None


def form_states(session: Session, form: FormData | None) -> dict[str, ItemState]:
    """The verification of each item of a stored form that has one (others: not verified); one statement."""
    if form is None or form.id is None:
        return {}
    verifier, changer = aliased(User), aliased(User)
    rows = session.execute(
        select(ItemVerification, verifier.username, changer.username)
        .join(verifier, verifier.id == ItemVerification.verified_by_id)
        .outerjoin(changer, changer.id == ItemVerification.changed_by_id)
        .where(ItemVerification.form_id == form.id))
    return {v.item_oid: ItemState(v.state, v.verified_value, by, v.verified_at, changed_by, v.changed_at)
            for v, by, changed_by in rows}


def state_of(states: dict[str, ItemState], oid: str) -> ItemState:
    return states.get(oid) or ItemState(NOT_VERIFIED)


# -- verifying -----------------------------------------------------------------------------------------------------

def _may_verify(session: Session, form: FormData | None, subject: Subject, user) -> FormData:
    if not can(user, "verify_source", subject):
        raise Forbidden("Only a monitor of this subject's site may verify data against source.")
    if form is None:
        raise Invalid({"items": "Nothing has been entered on this form yet: there is nothing to verify."})
    if form_state(session, form) is LockState.LOCKED:
        raise Locked("This form is locked: its verification cannot change.")
    return form


def verify_items(session: Session, form: FormData | None, subject: Subject, definition: Form, oids, user,
                 ) -> list[ItemVerification]:
    """Record that ``user`` verified the items ``oids`` of ``form`` against source, at their current values.

    An item already verified at its current value is left as it is.

    :raises Forbidden: not a monitor of the subject's site
    :raises Locked: the form is locked
    :raises Invalid: no items, an OID the form does not have, or an item without a value (nothing changes)
    """
    form = _may_verify(session, form, subject, user)
    oids = list(dict.fromkeys(oids))
    if not oids:
        raise Invalid({"items": "Choose at least one item to verify."})
    known = {item.oid for item in definition.items}
    values = form.values
    errors = {}
    for oid in oids:
        if not isinstance(oid, str) or oid not in known:
            errors[str(oid)] = f"There is no item {oid} on form {definition.oid}."
        elif values.get(oid) is None:
            errors[oid] = "This item has no value: there is nothing to verify."
    if errors:
        raise Invalid(errors)
    return _verify(session, form, {oid: values[oid] for oid in oids}, user)


def verify_form(session: Session, form: FormData | None, subject: Subject, definition: Form, user,
                ) -> list[ItemVerification]:
    """Verify every item of ``form`` that holds a value (those already verified at it stay as they are).

    :raises Invalid: the form holds no value at all
    """
    form = _may_verify(session, form, subject, user)
    values = {oid: v for oid, v in form.values.items() if v is not None}
    if not values:
        raise Invalid({"items": "No item of this form has a value: there is nothing to verify."})
    return _verify(session, form, values, user)


def _verify(session: Session, form: FormData, values: dict[str, str], user) -> list[ItemVerification]:
    rows = {v.item_oid: v for v in session.scalars(select(ItemVerification).where(
        ItemVerification.form_id == form.id, ItemVerification.item_oid.in_(list(values))))}
    now, out = utcnow(), []
    for oid, value in values.items():
        row = rows.get(oid)
        if row is not None and row.state == VERIFIED and row.verified_value == value:
            out.append(row)
            continue
        if row is None:
            row = ItemVerification(form=form, form_id=form.id, item_oid=oid)
            session.add(row)
        row.state, row.verified_value, row.verified_by_id, row.verified_at = VERIFIED, value, user.id, now
        row.changed_by_id, row.changed_at = None, None
        out.append(row)
    session.flush()
    return out


# -- the capture observer ------------------------------------------------------------------------------------------

def reset_on_change(session: Session, form: FormData, changed: dict, user_id: int | None) -> None:
    """A capture observer: the verification of exactly the items whose value changed turns "changed", attributed
    to ``user_id`` (the person who changed it; None for a system write) and audited. One statement when none of
    them was verified."""
    if not changed or form.id is None or form.version == 1:  # a form created by this save has no verification
        return
    rows = session.scalars(select(ItemVerification).where(
        ItemVerification.form_id == form.id, ItemVerification.item_oid.in_(list(changed)),
        ItemVerification.state == VERIFIED)).all()
    if not rows:
        return
    now = utcnow()
    for row in rows:
        row.state, row.changed_by_id, row.changed_at = CHANGED, user_id, now
    session.flush()
