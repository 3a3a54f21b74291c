"""Edit checks and completeness of one form, as the save, the form page and the API all see them.

The checks are the study's (``ecrf.study.crfs.checks``, kinds in ``ecrf.study.checks``); capture only gives
them the form's values and the facts they name from the subject's other forms, read in one query.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.capture.facts import latest_and_earliest
from ecrf.study.checks import Finding, evaluate
from ecrf.study.definition import load as load_study
from ecrf.study.types import Item
from ecrf.study.validation import Context


def checks_for(session: Session, target, values: dict, ctx: Context) -> tuple[dict[str, str], list[Finding]]:
    """The form's edit checks over ``values`` (cleaned, calculated included): (hard messages by item OID, soft
    findings). A save refuses the hard ones with the per-item validation messages, and stores despite the soft."""
    checks = load_study().checks_on(target.form.oid)
    if not checks:
        return {}, []
    subject_id = target.subject.id
    latest, earliest = latest_and_earliest(session, subject_id, {oid for c in checks for oid in c.needs},
                                           {oid for c in checks for oid in c.first})
    return evaluate(checks, values, latest, earliest, ctx)


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
