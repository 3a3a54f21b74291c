"""Calculated values stay true: when a source value changes, every stored value derived from it is recomputed.

A calculator may read items of the subject's other forms (its ``needs``: date of birth, sex, height, the BSA
of lymphodepletion). When a save changes one of those, each form of the subject that holds a calculated item
reading it is recomputed in the same transaction, and what changes is audited with the reason RECALCULATED
naming the sources. Frozen and locked forms (ecrf.capture.locks: the form's own lock or one of its visit,
casebook, site, study or "up to" range) are skipped and keep their values: nobody changes them; after a data
manager undoes the freeze or lock, the next save of a source or of the form recomputes them.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.context import reason as audit_reason
from ecrf.capture import locks, rules, store
from ecrf.capture.facts import latest_values
from ecrf.capture.models import FormData, StudyEventData
from ecrf.study import calculators
from ecrf.study.definition import load as load_study
from ecrf.study.messages import Msg
from ecrf.study.reasons import recalculated
from ecrf.study.validation import Context


def dependent_forms(sources: set[str]) -> set[str]:
    """OIDs of the forms with a calculated item that reads one of ``sources`` from another form."""
    return {form.oid for form in load_study().forms if calculators.needs(form) & sources}


def recalculate_dependents(session: Session, subject_id: int, changed: set[str], ctx: Context,
                           user_id: int | None, saved_form_id: int) -> list[FormData]:
    """Recompute the subject's other forms whose calculators read a changed item; returns those that changed."""
    sources = changed & calculators.all_needs()
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
    for form in forms:
        definition = study.form(form.form_oid)
        stored = form.values
        calculated = calculators.calculate(definition, stored, facts, ctx)
        new = {oid: c.value for oid, c in calculated.items() if stored.get(oid) != c.value}
        if not new:
            continue
        store.apply_values(session, form, new, {oid: c.formula for oid, c in calculated.items()})
        store.mark(form, definition, stored | new, user_id)
        with audit_reason(session, recalculated(sorted(sources & calculators.needs(definition)))):
            session.flush()
        rules.changed(session, form, new, user_id)
        updated.append(form)
    return updated


def why_not_calculated(session: Session, subject_id: int, definition, values: dict, ctx: Context) -> dict[str, Msg]:
    """For each calculated item of a form left without a value, why (the items missing, or the formula's refusal),
    so a page never shows a silently empty derived value."""
    facts = latest_values(session, subject_id, calculators.needs(definition))
    out = {}
    for oid, calc in calculators.calculate(definition, values, facts, ctx).items():
        if calc.value is None and calc.missing:
            out[oid] = Msg("calc.missing", items=list(calc.missing))
        elif calc.value is None and calc.problem:
            out[oid] = Msg("calc.refused", problem=calc.problem)
    return out
