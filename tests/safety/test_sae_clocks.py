"""SAE clocks (ecrf.safety.clocks) against the reporting timelines of docs/reference (domain-reference.md section 7,
protocol-brief.md "Safety reporting"), at and around each boundary, with the clock stopped where the test says."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ecrf.safety import clocks
from ecrf.safety.clocks import Report, SaeFacts

AWARE = datetime(2026, 11, 12, 2, 0, tzinfo=timezone.utc)
REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"


def _facts(**kw) -> SaeFacts:
    values = {"awareness": AWARE, "related": False, "unexpected": True, "fatal_or_life_threatening": False}
    values.update(kw)
    return SaeFacts(**values)


def _clock(facts, kind, reports=()):
    return next(c for c in clocks.clocks(facts, reports) if c.type == kind)


def test_the_timelines_are_the_reference_ones():
    """The numbers in the module are those the reference states (24 h; 15 days; 7 + 8 days; 15 days)."""
    text = (REFERENCE / "domain-reference.md").read_text()
    brief = (REFERENCE / "protocol-brief.md").read_text()
    assert "within 24 h of awareness" in text and "within 24 hours of site" in brief
    assert "Follow-up reports within 15 days of new information" in text and "follow-up within 15 days of" in brief
    assert re.search(r"fatal or life-threatening \*\*≤7 calendar days\*\*, plus a follow-up within \*\*8 more days\*\*",
                     text)
    assert "other SUSARs **≤15 calendar days**" in text
    assert clocks.INITIAL_WITHIN == timedelta(hours=24) and clocks.FOLLOW_UP_WITHIN == timedelta(days=15)
    assert clocks.SUSAR_FATAL_WITHIN == timedelta(days=7) and clocks.SUSAR_FOLLOW_UP_WITHIN == timedelta(days=8)
    assert clocks.SUSAR_OTHER_WITHIN == timedelta(days=15)


@pytest.mark.parametrize("after, state", [
    (timedelta(0), "open"), (timedelta(hours=17, minutes=59), "open"), (timedelta(hours=18, minutes=1), "due_soon"),
    (timedelta(hours=24), "due_soon"), (timedelta(hours=24, seconds=1), "overdue"), (timedelta(days=3), "overdue")])
def test_the_initial_report_is_due_24_hours_after_awareness(after, state):
    initial = _clock(_facts(), clocks.INITIAL)
    assert initial.due == datetime(2026, 11, 13, 2, 0, tzinfo=timezone.utc)
    assert initial.state(AWARE + after) == state


@pytest.mark.parametrize("sent_after, state", [(timedelta(hours=23, minutes=59), "sent"), (timedelta(hours=24), "sent"),
                                               (timedelta(hours=24, minutes=1), "sent_late")])
def test_a_report_sent_at_the_24_hour_boundary_is_in_time_one_minute_later_is_late(sent_after, state):
    initial = _clock(_facts(), clocks.INITIAL, [Report(clocks.INITIAL, AWARE + sent_after)])
    assert initial.sent == AWARE + sent_after
    assert initial.state(AWARE + timedelta(days=30)) == state  # a sent report is never overdue afterwards


def test_a_not_related_or_an_expected_sae_has_the_initial_report_only():
    assert [c.type for c in clocks.clocks(_facts(related=False))] == [clocks.INITIAL]
    assert [c.type for c in clocks.clocks(_facts(related=True, unexpected=False))] == [clocks.INITIAL]
    assert clocks.clocks(_facts(awareness=None)) == []  # no awareness, no clock (the list flags it)


@pytest.mark.parametrize("assessments, related", [
    (("POSSIBLY RELATED", None), True), (("PROBABLY RELATED", None), True), (("RELATED", None), True),
    (("UNLIKELY RELATED", None), False), (("NOT RELATED", None), False), (("NOT RELATED", "PROBABLY RELATED"), True),
    ((None, None), False)])
def test_related_to_cart_or_to_lymphodepletion_per_the_aerel_codes(assessments, related):
    from ecrf.study.crfs.codelists import AEREL

    assert set(clocks.RELATED) <= set(AEREL.values)
    assert clocks.is_related(*assessments) is related


def test_a_fatal_or_life_threatening_susar_is_due_in_7_days_and_its_follow_up_8_days_later():
    facts = _facts(related=True, fatal_or_life_threatening=True)
    expedited = _clock(facts, clocks.SUSAR)
    assert expedited.due == AWARE + timedelta(days=7)
    assert expedited.state(AWARE + timedelta(days=7)) == "due_soon"
    assert expedited.state(AWARE + timedelta(days=7, seconds=1)) == "overdue"
    follow_up = _clock(facts, clocks.SUSAR_FOLLOW_UP)  # not sent yet: 8 days after the 7-day report's due time
    assert follow_up.starts == AWARE + timedelta(days=7) and follow_up.due == AWARE + timedelta(days=15)
    # the 7-day report sent on day 5: the follow-up is due 8 days after it was sent
    sent = AWARE + timedelta(days=5)
    follow_up = _clock(facts, clocks.SUSAR_FOLLOW_UP, [Report(clocks.SUSAR, sent)])
    assert follow_up.due == sent + timedelta(days=8)
    assert follow_up.state(sent + timedelta(days=8)) == "due_soon"
    assert follow_up.state(sent + timedelta(days=8, seconds=1)) == "overdue"
    done = _clock(facts, clocks.SUSAR_FOLLOW_UP, [Report(clocks.SUSAR, sent),
                                                  Report(clocks.SUSAR_FOLLOW_UP, sent + timedelta(days=8))])
    assert done.state(sent + timedelta(days=40)) == "sent"


def test_another_susar_is_due_in_15_days_without_an_8_day_follow_up():
    facts = _facts(related=True)
    assert [c.type for c in clocks.clocks(facts)] == [clocks.INITIAL, clocks.SUSAR]
    expedited = _clock(facts, clocks.SUSAR)
    assert expedited.due == AWARE + timedelta(days=15)
    assert expedited.state(AWARE + timedelta(days=11)) == "open"
    assert expedited.state(AWARE + timedelta(days=11, hours=6)) == "open"  # 3.75 of the 15 days left: not yet
    assert expedited.state(AWARE + timedelta(days=11, hours=7)) == "due_soon"  # under a quarter left
    assert expedited.state(AWARE + timedelta(days=15, seconds=1)) == "overdue"


def test_expectedness_not_assessed_runs_the_susar_clock():
    from ecrf.safety.saes import facts_of

    facts = facts_of({"I.AE.AWAREDTC": "2026-11-12T02:00:00Z", "I.AE.RELCART": "PROBABLY RELATED",
                      "I.AE.SLIFE": "Y"})
    assert facts.susar and facts.fatal_or_life_threatening and facts.awareness == AWARE
    assert not facts_of({"I.AE.RELCART": "RELATED", "I.AE.EXPECT": "EXPECTED"}).susar


def test_a_follow_up_is_due_15_days_after_new_information_and_only_a_later_report_answers_it():
    news = AWARE + timedelta(days=20)
    facts = _facts(new_information=news)
    assert _clock(facts, clocks.FOLLOW_UP).due == news + timedelta(days=15)
    earlier = [Report(clocks.FOLLOW_UP, news - timedelta(days=1))]  # answered the information before this one
    assert _clock(facts, clocks.FOLLOW_UP, earlier).state(news + timedelta(days=15, seconds=1)) == "overdue"
    later = [Report(clocks.FOLLOW_UP, news + timedelta(days=2))]
    assert _clock(facts, clocks.FOLLOW_UP, later).state(news + timedelta(days=30)) == "sent"


def test_the_worst_state_leads():
    facts = _facts(related=True)
    now = AWARE + timedelta(days=2)
    assert clocks.worst(clocks.clocks(facts), now) == "overdue"  # the initial report, not the SUSAR's open one
    sent = [Report(clocks.INITIAL, AWARE + timedelta(hours=3))]
    assert clocks.worst(clocks.clocks(facts, sent), now) == "open"
    assert clocks.worst([], now) is None
