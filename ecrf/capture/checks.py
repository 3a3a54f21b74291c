"""Edit checks and completeness of one form, as the save, the form page and the API all see them.

The checks are the study's (``ecrf.study.crfs.checks``, kinds in ``ecrf.study.checks``); capture only gives
them the form's values and the facts they name from the subject's other forms, read in one query (and the
records of the logs they read, in one more).

A check reading the records of a log (a CRS assessment naming its adverse event) is evaluated again when a
record of that log is saved (:func:`recheck_dependents`), so the system query it opened closes itself as soon
as the adverse event is entered, not at the next save of the assessment.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture import locks, rules
from ecrf.capture.facts import latest_and_earliest, records
from ecrf.capture.models import FormData, StudyEventData
from ecrf.study.checks import Finding, evaluate
from ecrf.study.definition import load as load_study
from ecrf.study.types import Item
from ecrf.study.validation import Context


def _log_forms(checks) -> set[str]:
    """The forms (logs) whose records the checks read."""
    study = load_study()
    return {study.form_of(oid) for c in checks for oid in c.records}


_READERS: dict[int, tuple[object, dict[str, set[str]]]] = {}


def _readers(study) -> dict[str, set[str]]:
    """For each log, the other forms with checks reading its records (worked out once per study definition)."""
    cached = _READERS.get(id(study))
    if cached is None or cached[0] is not study:
        out: dict[str, set[str]] = {}
        for form in study.forms:
            for log in _log_forms(study.checks_on(form.oid)) - {form.oid}:
                out.setdefault(log, set()).add(form.oid)
        cached = _READERS[id(study)] = (study, out)
    return cached[1]


def _facts(session: Session, subject_id: int, checks) -> tuple[dict, dict, dict | None]:
    """What the checks read from the subject's other forms: (latest, earliest, records of the logs)."""
    latest, earliest = latest_and_earliest(session, subject_id, {oid for c in checks for oid in c.needs},
                                           {oid for c in checks for oid in c.first})
    logs = _log_forms(checks)
    return latest, earliest, records(session, subject_id, logs) if logs else None


def _evaluate(session: Session, subject_id: int, checks, values: dict, ctx: Context):
    latest, earliest, logs = _facts(session, subject_id, checks)
    return evaluate(checks, values, latest, earliest, ctx, logs)


def checks_for(session: Session, target, values: dict, ctx: Context) -> tuple[dict[str, str], list[Finding]]:
    """The form's edit checks over ``values`` (cleaned, calculated included): (hard messages by item OID, soft
    findings). A save refuses the hard ones with the per-item validation messages, and stores despite the soft."""
    checks = load_study().checks_on(target.form.oid)
    if not checks:
        return {}, []
    return _evaluate(session, target.subject.id, checks, values, ctx)


def recheck_dependents(session: Session, subject_id: int, saved: FormData, ctx: Context,
                       user_id: int | None) -> None:
    """After a record of a log is saved, give the findings sinks the soft findings of the subject's other forms
    whose checks read that log (open forms only: frozen and locked forms keep their state)."""
    study = load_study()
    targets = _readers(study).get(saved.form_oid)
    if not targets:
        return
    forms = session.scalars(
        select(FormData).join(FormData.event)
        .where(StudyEventData.subject_id == subject_id, FormData.form_oid.in_(targets)).order_by(FormData.id)
    ).all()
    if not forms:
        return
    states = locks.states_for_forms(session, list(forms))
    forms = [f for f in forms if states[f.id] is locks.LockState.OPEN]
    # one read of the facts for every dependent form (a subject has a CRS and an ICANS form at ~17 visits)
    latest, earliest, logs = _facts(session, subject_id, [c for oid in targets for c in study.checks_on(oid)])
    for form in forms:
        _, soft = evaluate(study.checks_on(form.form_oid), form.values, latest, earliest, ctx, logs)
        rules.found(session, form, soft, user_id)


def stored_findings(session: Session, target, form, ctx: Context) -> tuple[dict[str, str], list[Finding]]:
    """The checks over a stored form (none for a form never saved): its warnings, on the page and in the API."""
    if form is None:
        return {}, []
    return checks_for(session, target, form.values, ctx)


def missing_items(definition, form) -> list[Item]:
    """The required items of a stored form without a value or an explicit "not done"/"unknown" (all of them for
    a form never saved)."""
    values = form.values if form is not None else {}
    flags = {oid: code for oid, (code, _) in form.flags.items()} if form is not None else {}
    return load_study().missing_required(definition, values, flags)
