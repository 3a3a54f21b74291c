"""Calculated values stay true: when a source value changes, every stored value derived from it is recomputed.

A calculator may read items of the subject's other forms (its ``needs``: date of birth, sex, height, the BSA
of lymphodepletion). When a save changes one of those, each form of the subject that holds a calculated item
reading it is recomputed in the same transaction, and what changes is audited with the reason RECALCULATED
naming the sources. Frozen and locked forms (ecrf.capture.locks: the form's own lock or one of its visit,
casebook, site, study or "up to" range) are skipped and keep their values: nobody changes them; after a data
manager undoes the freeze or lock, the next save of a source or of the form recomputes them. A calculator reading
the subject's other instances of its own form (``history``: the earlier CRS assessments) is recomputed in the same
way when one of those instances changes.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.context import reason as audit_reason
from ecrf.capture import locks, rules, store
from ecrf.capture.facts import instances, latest_values
from ecrf.capture.models import FormData, StudyEventData
from ecrf.labs.services import subject_ranges
from ecrf.study import calculators
from ecrf.study.calculated import HISTORY, LAB_RANGES
from ecrf.study.definition import load as load_study
from ecrf.study.messages import Msg
from ecrf.study.reasons import recalculated
from ecrf.study.validation import Context


def _reads(form) -> set[str]:
    """What the form's calculators read from elsewhere: other forms, and the other instances of this form."""
    return calculators.needs(form) | calculators.history(form)


def dependent_forms(sources: set[str]) -> set[str]:
    """OIDs of the forms with a calculated item that reads one of ``sources`` from another form (or instance)."""
    return {form.oid for form in load_study().forms if _reads(form) & sources}


def _history(session: Session, subject_id: int, definition) -> list[tuple[int, dict]]:
    oids = calculators.history(definition)
    return instances(session, subject_id, definition.oid, oids) if oids else []


def with_history(facts: dict, rows: list[tuple[int, dict]], form_id: int | None) -> dict:
    """The facts, with the other instances of the form (all but ``form_id``) under HISTORY when there are rows."""
    if not rows:
        return facts
    return {**facts, HISTORY: tuple(values for fid, values in rows if fid != form_id)}


def calculator_facts(session: Session, subject_id: int, definition, form_id: int | None) -> dict:
    """What the form's calculators read beyond the form: the latest values of their ``needs`` and, for those with
    a ``history``, the subject's other instances of the form (``form_id``: this instance, left out)."""
    facts = with_ranges(session, subject_id, [definition],
                        latest_values(session, subject_id, calculators.needs(definition)))
    return with_history(facts, _history(session, subject_id, definition), form_id)


def with_ranges(session: Session, subject_id: int, definitions, facts: dict) -> dict:
    """The facts, with the site laboratories' normal ranges when one of the forms' calculators reads them (the lab
    CRFs' flags): one statement, only for those forms."""
    if not any(calculators.reads_ranges(d) for d in definitions):
        return facts
    return {**facts, LAB_RANGES: subject_ranges(session, subject_id)}


def recalculate_dependents(session: Session, subject_id: int, changed: set[str], ctx: Context,
                           user_id: int | None, saved_form_id: int) -> list[FormData]:
    """Recompute the subject's other forms whose calculators read a changed item; returns those that changed."""
    sources = changed & (calculators.all_needs() | calculators.all_history())
    targets = dependent_forms(sources)
    if not targets:
        return []
    study, updated = load_study(), []
    forms = session.scalars(
        select(FormData).join(FormData.event)
        .where(StudyEventData.subject_id == subject_id, FormData.form_oid.in_(targets), FormData.id != saved_form_id)
        .order_by(FormData.id)
    ).all()
    if forms:  # frozen and locked forms keep their values (the transaction's lock lookup: no new statement)
        states = locks.states_for_forms(session, list(forms))
        forms = [f for f in forms if states[f.id] is locks.LockState.OPEN]
    # one read of the facts for every dependent form (not one per form: a subject has F.CHEM at ~10 visits)
    facts = latest_values(session, subject_id, set().union(*(calculators.needs(study.form(oid)) for oid in targets)))
    facts = with_ranges(session, subject_id, [study.form(f.form_oid) for f in forms], facts)
    # and one read of the instances for each form whose calculators read their own form's other instances
    histories = {oid: _history(session, subject_id, study.form(oid)) for oid in targets}
    for form in forms:
        definition = study.form(form.form_oid)
        stored = form.values
        calculated = calculators.calculate(definition, stored, with_history(facts, histories[form.form_oid], form.id),
                                           ctx)
        new = {oid: c.value for oid, c in calculated.items() if stored.get(oid) != c.value}
        if not new:
            continue
        store.apply_values(session, form, new, {oid: c.formula for oid, c in calculated.items()})
        store.mark(form, definition, stored | new, user_id)
        with audit_reason(session, recalculated(sorted(sources & _reads(definition)))):
            session.flush()
        rules.changed(session, form, new, user_id)
        updated.append(form)
    return updated


def why_not(definition, calculated: dict) -> dict[str, Msg]:
    """For each calculated item without a value, why: the items missing (by label), or the formula's refusal; a
    grade says "Cannot grade: ..." (never an empty grade)."""
    out = {}
    for oid, calc in calculated.items():
        grade = calculators.grades(oid, definition)
        if calc.value is None and calc.missing:
            out[oid] = Msg("calc.cannot_grade" if grade else "calc.missing", items=list(calc.missing))
        elif calc.value is None and calc.problem:
            out[oid] = Msg("calc.grade_refused" if grade else "calc.refused", problem=calc.problem)
    return out


def why_not_calculated(session: Session, subject_id: int, definition, values: dict, ctx: Context,
                       form_id: int | None = None) -> dict[str, Msg]:
    """For each calculated item of a form (the stored instance ``form_id``) left without a value, why, so a page
    never shows a silently empty derived value."""
    facts = calculator_facts(session, subject_id, definition, form_id)
    return why_not(definition, calculators.calculate(definition, values, facts, ctx))
