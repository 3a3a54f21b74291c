"""The casebook's phases (one declaration, ecrf.casebook.phases) and the subject's stage and next step (one rule,
ecrf.casebook.next_step.decide) at every stage of the trial's path; an infused subject never shows "Next:
Screening", even with the screening visit's window still open."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from ecrf.casebook import phases
from ecrf.casebook.next_step import Facts, decide
from ecrf.study.schedule import SCHEDULE
from ecrf.visits.planning import Anchors, Recorded, plan

TODAY = date(2026, 12, 4)


def test_every_event_has_one_phase_and_the_phases_are_the_trials():
    by_phase: dict[str, list[str]] = {}
    for event in SCHEDULE:
        by_phase.setdefault(phases.phase_of(event), []).append(event.oid)
    assert by_phase["subject"] == ["SE.SUBJECT"]
    assert by_phase["treatment"] == ["SE.SCREENING", "SE.LEUKAPHERESIS", "SE.PRELD", "SE.LD1", "SE.LD2", "SE.LD3",
                                     "SE.D0"]
    assert by_phase["early"] == [f"SE.D{d}" for d in range(1, 15)] + ["SE.D21", "SE.D28"]
    assert by_phase["months"] == ["SE.M2", "SE.M3", "SE.M6", "SE.M9", "SE.M12", "SE.M18", "SE.M24"]
    assert by_phase["ltfu"] == [f"SE.Y{y}" for y in range(3, 16)]
    assert by_phase["unscheduled"] == ["SE.UNSCHED", "SE.EOS"]
    assert [p.key for p in phases.PHASES] == list(by_phase)


def _event(oid):
    return next(e for e in SCHEDULE if e.oid == oid)


def test_the_phase_to_open_follows_the_next_visit_then_the_latest_data():
    assert phases.current([], None) == "treatment"
    assert phases.current([_event("SE.SCREENING")], _event("SE.D7")) == "early"
    assert phases.current([_event("SE.D28")], None) == "early"
    assert phases.current([_event("SE.D28"), _event("SE.UNSCHED")], _event("SE.UNSCHED")) == "early"
    assert phases.current([_event("SE.M12")], _event("SE.Y3")) == "ltfu"


def _plans(consent=None, ld1=None, infusion=None, recorded=()):
    recs = {(oid, 1): Recorded(actual) for oid, actual in recorded}
    return plan(SCHEDULE, Anchors(consent, ld1, infusion), TODAY, recs)


CONSENT = TODAY - timedelta(days=10)  # the screening window (consent + 28 days) is still open


@pytest.mark.parametrize("facts, visits, stage, next_words, event_oid", [
    (Facts("screening"), dict(consent=CONSENT), "screening", "Complete the screening forms", "SE.SCREENING"),
    (Facts("screening", eligible=True), dict(consent=CONSENT), "eligible", "Enrol", "SE.SCREENING"),
    (Facts("screening", eligible=False), dict(consent=CONSENT), "not_eligible", "Record the screen failure",
     "SE.SCREENING"),
    (Facts("enrolled", eligible=True), dict(consent=CONSENT), "enrolled", "Leukapheresis", "SE.LEUKAPHERESIS"),
    (Facts("enrolled", eligible=True, collected=True), dict(consent=CONSENT), "collected",
     "Pre-lymphodepletion check", "SE.PRELD"),
    (Facts("enrolled", eligible=True, collected=True, lymphodepleted=True), dict(consent=CONSENT, ld1=TODAY),
     "lymphodepleted", f"CAR-T infusion (day 0), planned {TODAY + timedelta(days=5)}", "SE.D0"),
    (Facts("infused", eligible=True, collected=True, lymphodepleted=True, infusion=TODAY - timedelta(days=6)),
     dict(consent=CONSENT, ld1=TODAY - timedelta(days=11), infusion=TODAY - timedelta(days=6),
          recorded=[(f"SE.D{d}", TODAY - timedelta(days=6 - d)) for d in range(0, 6)]),
     "dlt_window", "Day 6, target", "SE.D6"),
    (Facts("follow_up", infusion=TODAY - timedelta(days=85)),
     dict(consent=TODAY - timedelta(days=120), infusion=TODAY - timedelta(days=85),
          recorded=[("SE.M2", TODAY - timedelta(days=25))]),  # days 1-28 never recorded: missed, not next
     "follow_up", "Month 3, target", "SE.M3"),
    (Facts("screen_failed"), dict(consent=CONSENT), "screen_failed", None, None),
    (Facts("withdrawn", infusion=TODAY - timedelta(days=40)), dict(consent=CONSENT), "withdrawn", None, None),
    (Facts("completed", infusion=TODAY - timedelta(days=5500)), dict(), "completed", None, None),
])
def test_the_stage_and_the_next_step_at_every_stage(facts, visits, stage, next_words, event_oid):
    step = decide(facts, _plans(**visits), TODAY)
    assert step.stage == stage
    assert step.event_oid == event_oid
    if next_words is None:
        assert step.next is None
    else:
        assert next_words in step.next
        assert "Screening" not in step.next or stage in ("screening", "eligible", "not_eligible")


def test_an_infused_subject_never_shows_next_screening():
    """The bug the issue names: the screening visit has no date (its window is open, "due"), the infusion is
    recorded: the next step is the first post-infusion visit, not screening."""
    infusion = TODAY - timedelta(days=2)
    visits = _plans(consent=CONSENT, infusion=infusion)
    screening = next(p for p in visits if p.oid == "SE.SCREENING")
    assert screening.state == "due"  # what used to win the "next visit"
    step = decide(Facts("infused", infusion=infusion), visits, TODAY)
    assert step.stage == "dlt_window" and f"to {infusion + timedelta(days=28)}" in step.text
    assert step.event_oid == "SE.D1"  # day 1's window closed yesterday: overdue comes first
    assert "overdue" in step.next and "Screening" not in step.next


def test_after_the_dlt_window_an_infused_subject_is_in_follow_up():
    infusion = TODAY - timedelta(days=29)
    step = decide(Facts("infused", infusion=infusion), _plans(consent=CONSENT, infusion=infusion,
                  recorded=[(e.oid, infusion + timedelta(days=e.day)) for e in SCHEDULE
                            if e.day is not None and 0 <= e.day <= 28 and e.anchor != "consent"]), TODAY)
    assert step.stage == "follow_up" and step.event_oid == "SE.M2"
