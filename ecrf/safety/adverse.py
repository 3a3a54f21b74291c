"""Adverse events and the death form: a grade 5 AE shows "complete the death form" until the form is saved.

The finding is the soft edit check AE.GRADE5_DEATH_FORM on F.AE (it reads I.DEATH.DAT of F.DEATH). A soft check
is evaluated when its own form is saved, so the system query it opened would stay open after the death form is
entered; :func:`writes_death_form_findings` (a writer of ``ecrf.rules.TRIAL_RULES``) re-evaluates the subject's
grade 5 AE forms when F.DEATH is saved, in the same transaction, so their query closes itself (or opens again
when the death date is cleared).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture import rules
from ecrf.capture import services as capture
from ecrf.capture.checks import checks_for
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.study.validation import Context


def writes_death_form_findings(session: Session, t, form, origin) -> None:
    if t.form.oid != "F.DEATH":
        return
    grade5 = select(ItemData.form_id).where(ItemData.item_oid == "I.AE.TOXGR", ItemData.value == "5")
    aes = session.scalars(select(FormData).join(FormData.event).where(
        StudyEventData.subject_id == t.subject.id, FormData.form_oid == "F.AE", FormData.id.in_(grade5))).all()
    ctx = Context.now_at(t.subject.site.zone)
    for ae in aes:
        target = capture.resolve(t.subject, ae.event.event_oid, "F.AE", ae.event.repeat_key, ae.repeat_key)
        _, soft = checks_for(session, target, ae.values, ctx)
        rules.found(session, ae, soft, form.updated_by_id)
