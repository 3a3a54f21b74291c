"""The subject's status follows what is recorded: infusion, follow-up beyond the DLT window, end of study.

Writers run by capture after a save (listed in ecrf.rules); every change goes through ecrf.subjects.lifecycle.
"""
from __future__ import annotations

from ecrf.study import protocol
from ecrf.subjects import lifecycle


def writes_subject_status_after_treatment(session, t, form, origin) -> None:
    """Enrolled -> infused once the infusion is recorded -> follow-up once a visit after the DLT window has data."""
    subject = t.subject
    if t.form.oid == "F.INF" and subject.status == "enrolled" and form.values.get("I.INF.STDTC"):
        lifecycle.move(subject, "infused")
    elif subject.status == "infused" and t.event.day is not None and t.event.day > protocol.active().dlt_days:
        lifecycle.move(subject, "follow_up")
    session.flush()


def writes_subject_status_at_end_of_study(session, t, form, origin) -> None:
    """The end-of-study form closes the subject's path: completed, or withdrawn on an early termination.

    Only an enrolled subject completes the study; a subject who ends in screening is a screen failure
    (recorded by the screen-failure action), so the form alone does not move them.
    """
    if t.form.oid != "F.EOS" or form.status != "complete":
        return
    subject, status = t.subject, form.values.get("I.EOS.STATUS")
    if subject.status in ("enrolled", "infused", "follow_up"):
        lifecycle.move(subject, "completed" if status == "COMPLETED" else "withdrawn")
        session.flush()
