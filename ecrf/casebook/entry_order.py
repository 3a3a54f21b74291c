"""The forms of a visit in the order a coordinator enters them, and the form after one ("Save and next form").

The order is the schedule's: the event's form references (``StudyEvent.forms``), whatever forms another change
adds to a visit. A coordinator goes through the forms that apply to this subject and skips the others:

- every required form, in the schedule's order;
- an optional form only when a rule makes it required for this subject: the pregnancy test and the
  contraception form for a woman of childbearing potential (``ecrf.treatment.pregnancy.required_forms``, as the
  casebook grid shows them). While sex and menarche are not recorded yet it is not known, so they are included:
  passing over a form (the page's "skip" link) costs one key, missing a required pregnancy test costs a
  protocol deviation. Other optional forms (logs such as adverse events) are opened from the casebook;
- a form that cannot be entered yet (a gate of the trial rules refuses it: no consent, an earlier step, a form a
  service fills) is skipped, as its page would only say so.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.capture import rules, services
from ecrf.capture.facts import latest_values
from ecrf.study.types import StudyEvent
from ecrf.subjects.models import Subject
from ecrf.treatment import pregnancy

WOCBP_ITEMS = ("I.DM.SEX", "I.DM.MENARCHE", "I.DM.STERIL", "I.DM.STERILTYP", "I.DM.POSTMENO")


def entry_forms(session: Session, subject: Subject, event: StudyEvent) -> list[str]:
    """The OIDs of the event's forms that apply to ``subject``, in the schedule's order (one query)."""
    wocbp = pregnancy.is_wocbp(latest_values(session, subject.id, WOCBP_ITEMS))
    also = pregnancy.required_forms(True if wocbp is None else wocbp)
    return [ref.form_oid for ref in event.forms if ref.required or (event.oid, ref.form_oid) in also]


def next_form(session: Session, t: services.Target) -> services.Target | None:
    """The first form after ``t`` in its visit that applies to the subject and can be entered now (its first
    entry for a repeating form), or None when ``t`` is the last."""
    refs = [ref.form_oid for ref in t.event.forms]
    applicable = set(entry_forms(session, t.subject, t.event))
    after = refs[refs.index(t.form.oid) + 1:] if t.form.oid in refs else []
    for oid in after:
        if oid not in applicable:
            continue
        target = services.resolve(t.subject, t.event.oid, oid, t.event_repeat, 1)
        if rules.gate(session, target) is None:
            return target
    return None
