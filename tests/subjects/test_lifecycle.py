"""A subject's status changes only along the trial's path (ecrf.subjects.lifecycle), and the end of study sets it."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from helpers import enrolled_subject, new_subject, save

from ecrf.errors import Refused
from ecrf.subjects import lifecycle


def test_the_path_forward_is_allowed_and_nothing_leaves_a_final_status():
    subject = SimpleNamespace(status="screening")
    for to in ("enrolled", "infused", "follow_up", "completed"):
        lifecycle.move(subject, to)
        assert subject.status == to
    with pytest.raises(Refused, match="completed; it cannot become follow up"):
        lifecycle.move(subject, "follow_up")
    lifecycle.move(subject, "completed")  # staying is not a change
    assert subject.status == "completed"


@pytest.mark.parametrize("current, to", [("screening", "infused"), ("screening", "completed"),
                                         ("screen_failed", "enrolled"), ("withdrawn", "screening"),
                                         ("follow_up", "enrolled")])
def test_jumps_and_returns_are_refused(current, to):
    subject = SimpleNamespace(status=current)
    with pytest.raises(Refused):
        lifecycle.move(subject, to)
    assert subject.status == current


def test_an_unknown_status_is_a_programming_error():
    with pytest.raises(ValueError):
        lifecycle.move(SimpleNamespace(status="screening"), "cured")


def _end_of_study(session, subject, status: str):
    values = {"I.EOS.STATUS": status, "I.EOS.DAT": date.today().isoformat()}
    if status == "EARLY":
        values["I.EOS.REASON"] = "LOST TO FOLLOW-UP"
    return save(session, subject, "F.EOS", values, event_oid="SE.EOS")


def test_the_end_of_study_form_completes_an_enrolled_subject(session, world):
    subject = enrolled_subject(session)
    _end_of_study(session, subject, "COMPLETED")
    session.refresh(subject)
    assert subject.status == "completed"


def test_an_early_termination_withdraws_an_enrolled_subject(session, world):
    subject = enrolled_subject(session)
    _end_of_study(session, subject, "EARLY")
    session.refresh(subject)
    assert subject.status == "withdrawn"


def test_the_end_of_study_form_does_not_enrol_or_complete_a_subject_in_screening(session, world):
    from helpers import demographics

    subject = new_subject(session)
    demographics(session, subject)
    _end_of_study(session, subject, "COMPLETED")
    session.refresh(subject)
    assert subject.status == "screening"
