"""The one writer of trial data: events, forms and item values.

Web views and the JSON API both call :func:`save_form`; it validates, checks
the trial's rules, writes only what changed and flushes, so the audit listener
records every changed value in the same transaction. The caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ecrf.audit.context import reason as audit_reason
from ecrf.capture import checks as edit_checks
from ecrf.capture import derived, locks, rules, store
from ecrf.capture.models import FormData, StudyEventData
from ecrf.errors import Conflict, Invalid, NotFound
from ecrf.study import calculators, codec
from ecrf.study.calculated import Calculated
from ecrf.study.definition import load as load_study
from ecrf.study.locator import FormLocator
from ecrf.study.reasons import change_reason
from ecrf.study.types import Form, StudyEvent
from ecrf.study.validation import Context, clean_all, clean_missing
from ecrf.subjects.models import Subject


@dataclass(frozen=True)
class Target:
    """Where a form lives: subject, event (with repeat) and form (with repeat)."""

    subject: Subject
    event: StudyEvent
    form: Form
    event_repeat: int = 1
    form_repeat: int = 1

    @property
    def locator(self) -> FormLocator:
        return FormLocator(self.subject.key, self.event.oid, self.form.oid, self.event_repeat, self.form_repeat)


def resolve(subject: Subject, event_oid: str, form_oid: str, event_repeat: int = 1, form_repeat: int = 1) -> Target:
    """Look up the definitions; unknown OIDs, or a form not collected at that event, are NotFound."""
    study = load_study()
    event, form = study.event(event_oid), study.form(form_oid)
    if event is None or form is None or not study.event_has_form(event_oid, form_oid):
        raise NotFound(f"No form {form_oid} at event {event_oid}.")
    if event_repeat < 1 or form_repeat < 1 or (event_repeat > 1 and not event.repeating) or (
        form_repeat > 1 and not form.repeating
    ):
        raise NotFound("No such repeat of this event or form.")
    return Target(subject, event, form, event_repeat, form_repeat)


def find_event(session: Session, t: Target) -> StudyEventData | None:
    return session.scalar(select(StudyEventData).filter_by(
        subject_id=t.subject.id, event_oid=t.event.oid, repeat_key=t.event_repeat))


def find_form(session: Session, t: Target) -> FormData | None:
    return session.scalar(
        select(FormData).join(FormData.event).where(
            StudyEventData.subject_id == t.subject.id, StudyEventData.event_oid == t.event.oid,
            StudyEventData.repeat_key == t.event_repeat, FormData.form_oid == t.form.oid,
            FormData.repeat_key == t.form_repeat,
        )
    )


def _event_for(session: Session, t: Target) -> StudyEventData:
    event = find_event(session, t)
    if event is None:
        event = StudyEventData(subject=t.subject, event_oid=t.event.oid, repeat_key=t.event_repeat)
        session.add(event)
    return event


def _visit_date(t: Target, values: dict, ctx: Context) -> date | None:
    """The site-local date of the visit's declared date item (``StudyEvent.date_item``) as ``values`` hold it;
    None when empty. Only that item dates a visit: other dates on the visit's forms are history (an SLE diagnosis,
    a dosing weight, a product release) and never do."""
    return codec.local_date(values.get(t.event.date_item), ctx.tz)


def _record_visit(event: StudyEventData, t: Target, values: dict, ctx: Context) -> None:
    if t.event.type == "Common":
        return  # subject-level forms are not a visit
    if event.status in (None, "scheduled", "not_done"):  # None: new, column default not applied yet
        event.status, event.not_done_reason = "in_progress", None
    if any(i.oid == t.event.date_item for i in t.form.items):
        # the visit date follows its item both ways: a correction to a later day moves it, clearing it clears it
        event.actual_date = _visit_date(t, values, ctx)


def preview(session: Session, t: Target, raw: dict, ctx: Context) -> tuple[dict[str, Calculated], dict[str, str]]:
    """The form's calculated items for values typed so far, without storing anything (the live preview; a save
    recomputes them); returns (calculated by OID, messages of the typed values that could not be read)."""
    values, invalid = clean_all(t.form.items, raw, ctx)
    existing = find_form(session, t)
    facts = derived.calculator_facts(session, t.subject.id, t.form, existing.id if existing else None)
    return calculators.calculate(t.form, {**_stored_calculated(t, existing), **values}, facts, ctx), invalid


def _stored_calculated(t: Target, existing: FormData | None) -> dict[str, str | None]:
    """The form's calculated values as stored: calculators see the form as stored with the new entries over it, as
    on a recalculation (ecrf.capture.derived), so a value stored before its inputs were asked (creatinine entered
    in µmol/L before its unit was) is still there for them."""
    return {i.oid: existing.values.get(i.oid) for i in t.form.items if i.calculated} if existing else {}


def save_form(session: Session, t: Target, raw: dict, *, version: int | None, user_id: int | None,
              ctx: Context, reason_code: str | None = None, reason_note: str | None = None,
              origin: str = "entry", missing: dict | None = None) -> FormData:
    """Validate ``raw`` (item OID -> submitted value) and store what changed.

    :param version: the form version the user saw (None or 0 for a form never saved)
    :param missing: item OID -> {"code": NOT_DONE | UNKNOWN, "reason": ...} for items answered without a value
        (where the definition allows it); an item left out has no such flag, as a value left out is cleared
    :raises Invalid: per-item messages (values that cannot be read, flags refused, hard edit checks), all at once,
        or a missing reason for change; nothing is stored
    :raises Conflict: the form changed since ``version``
    :raises Locked: the form (or its visit, casebook, site, study, an "up to" range) is frozen or locked,
        also for a form not stored yet
    :raises Refused: a gate (consent, an earlier step) forbids entering the form at all; or trial rules refuse
        the values (several at once as ``Refusals``, each naming its item where it concerns one); when values are
        also unreadable or fail hard checks, the rules' item messages join the Invalid's and the others are its
        ``general`` messages
    :param origin: "entry" for people (web, API); a service name when a service writes a form it owns
    :return: the saved form, flushed, with its new version; the soft edit-check findings that hold now go to the
        findings sinks (``rules.found``), the full list each save
    """
    locks.refuse_if_closed(session, locks.Place(t.subject.site_id, t.subject.id, t.event.oid, t.event_repeat,
                                                t.form.oid, t.form_repeat))
    if (closed := rules.gate(session, t, origin)) is not None:
        raise closed  # the form cannot be entered yet (no consent, an earlier step): its values do not matter
    values, errors = clean_all(t.form.items, raw, ctx)
    flags, refused_flags = clean_missing(t.form.items, missing or {}, values)
    existing = find_form(session, t)
    facts = derived.calculator_facts(session, t.subject.id, t.form, existing.id if existing else None)
    calculated = calculators.calculate(t.form, {**_stored_calculated(t, existing), **values}, facts, ctx)
    values.update({oid: c.value for oid, c in calculated.items()})
    hard, soft = edit_checks.checks_for(session, t, values, ctx)
    refused = rules.problems(session, t, values, origin)
    item_refusals: dict[str, str] = {}
    for p in refused.problems if refused else ():
        if p.item:
            item_refusals[p.item] = f"{item_refusals[p.item]} {p}" if p.item in item_refusals else str(p)
    if refused is not None and not (errors or refused_flags or hard):
        raise refused  # only trial rules refuse: their status (409), each problem still naming its item
    for messages in (refused_flags, hard, item_refusals):
        for oid, message in messages.items():
            errors[oid] = f"{errors[oid]} {message}" if oid in errors else message
    if errors:  # every problem of the save at once: unreadable values, hard edit checks, trial rules
        raise Invalid(errors, tuple(str(p) for p in refused.problems if not p.item) if refused else ())

    if existing is not None:
        if version != existing.version:
            raise Conflict(existing.version)
    elif version not in (None, 0):
        raise Conflict(0)

    stored = existing.values if existing else {}
    stored_flags = existing.flags if existing else {}
    changed = {oid: v for oid, v in values.items() if stored.get(oid) != v}
    flagged = {oid: flags.get(oid) for oid in set(stored_flags) | set(flags) if stored_flags.get(oid) != flags.get(oid)}
    reason = None
    if existing is not None and existing.completed_at is not None and (changed or flagged):
        reason, problem = change_reason(reason_code, reason_note)
        if problem:
            raise Invalid({"reason": problem})
    if existing is not None and not changed and not flagged:
        rules.found(session, existing, soft, user_id)  # facts on other forms may have changed since
        return existing

    form = existing or FormData(event=_event_for(session, t), form_oid=t.form.oid, repeat_key=t.form_repeat)
    if existing is None:
        session.add(form)
    _record_visit(form.event, t, stored | changed, ctx)
    store.apply_values(session, form, changed, {oid: c.formula for oid, c in calculated.items()}, flagged)
    store.mark(form, t.form, stored | changed, user_id)
    with audit_reason(session, reason):  # observers see (and their writes carry) the reason for change
        try:
            session.flush()
        except (StaleDataError, IntegrityError):  # a concurrent save of the same form got there first
            raise Conflict() from None
        rules.changed(session, form, changed | {oid: None for oid in flagged if oid not in changed}, user_id)
        if soft or existing is not None:  # a new form without findings has nothing to open or close
            rules.found(session, form, soft, user_id)
    derived.recalculate_dependents(session, t.subject.id, set(changed), ctx, user_id, form.id)
    edit_checks.recheck_dependents(session, t.subject.id, form, ctx, user_id)
    rules.after_save(session, t, form, origin)
    return form
