"""Visit planning (ecrf.visits.planning): targets, windows and states, with fixed dates only."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from ecrf.study.schedule import SCHEDULE
from ecrf.visits.planning import (
    STATES,
    Anchors,
    Recorded,
    VisitPlan,
    day_zero,
    dlt_window,
    next_due,
    plan,
    sentinel_clear_date,
    summary,
)

CONSENT = date(2025, 1, 6)
LD1 = date(2025, 2, 10)  # lymphodepletion day 1 (day -5) -> planned day 0 = 2025-02-15
INFUSION = date(2025, 3, 3)
DAY = timedelta(days=1)

PRE_INFUSION = ("SE.PRELD", "SE.LD1", "SE.LD2", "SE.LD3", "SE.D0")
POST_INFUSION = tuple(e.oid for e in SCHEDULE if e.anchor == "infusion" and e.day is not None and e.day > 0)


def by_oid(plans: list[VisitPlan]) -> dict[str, VisitPlan]:
    return {p.event.oid: p for p in plans if not p.event.repeating}


def one(oid: str, today: date, anchors: Anchors | None = None, recorded=None) -> VisitPlan:
    anchors = anchors or Anchors(CONSENT, LD1 - timedelta(days=10), INFUSION)
    return by_oid(plan(SCHEDULE, anchors, today, recorded or {}))[oid]


# --- windows at their edges ---------------------------------------------------------------------------------

EDGES = [  # (event, target, first day of window, last day of window) for infusion on 2025-03-03
    ("SE.D21", date(2025, 3, 24), date(2025, 3, 22), date(2025, 3, 26)),  # +/-2
    ("SE.D28", date(2025, 3, 31), date(2025, 3, 28), date(2025, 4, 3)),  # +/-3
    ("SE.M6", date(2025, 8, 30), date(2025, 8, 16), date(2025, 9, 13)),  # +/-14
    ("SE.Y3", date(2028, 3, 2), date(2028, 2, 1), date(2028, 4, 1)),  # +/-30, across 29 Feb 2028
]


@pytest.mark.parametrize(("oid", "target", "start", "end"), EDGES)
def test_target_and_window(oid, target, start, end):
    p = one(oid, date(2025, 3, 3))
    assert (p.target, p.window_start, p.window_end, p.repeat) == (target, start, end, 1)


@pytest.mark.parametrize(("oid", "target", "start", "end"), EDGES)
@pytest.mark.parametrize(("when", "state"), [
    ("day_before_start", "upcoming"), ("start", "due"), ("target", "due"), ("end", "due"),
    ("day_after_end", "overdue"),
])
def test_state_at_window_edges(oid, target, start, end, when, state):
    today = {"day_before_start": start - DAY, "start": start, "target": target, "end": end,
             "day_after_end": end + DAY}[when]
    assert one(oid, today).state == state


@pytest.mark.parametrize(("oid", "target", "start", "end"), EDGES)
@pytest.mark.parametrize(("when", "state"), [
    ("day_before_start", "done_out_of_window"), ("start", "done"), ("end", "done"),
    ("day_after_end", "done_out_of_window"),
])
def test_done_versus_out_of_window_at_edges(oid, target, start, end, when, state):
    actual = {"day_before_start": start - DAY, "start": start, "end": end, "day_after_end": end + DAY}[when]
    p = one(oid, date(2030, 1, 1), recorded={(oid, 1): Recorded(actual, "completed")})
    assert (p.state, p.actual, p.reason) == (state, actual, None)


def test_daily_visits_have_a_one_day_window():
    d7 = date(2025, 3, 10)
    assert one("SE.D7", d7).window_start == one("SE.D7", d7).window_end == d7
    assert [one("SE.D7", d).state for d in (d7 - DAY, d7, d7 + DAY)] == ["upcoming", "due", "overdue"]


def test_a_record_without_actual_date_does_not_count_as_done():
    rec = {("SE.D21", 1): Recorded(None, "in_progress")}
    assert one("SE.D21", date(2025, 3, 24), recorded=rec).state == "due"
    assert one("SE.D21", date(2025, 3, 27), recorded=rec).state == "overdue"


# --- not done -----------------------------------------------------------------------------------------------

def test_not_done_keeps_its_reason_whatever_the_date():
    rec = {("SE.M6", 1): Recorded(None, "not_done", "Subject hospitalised elsewhere")}
    for today in (date(2025, 8, 1), date(2025, 8, 30), date(2026, 1, 1)):
        p = one("SE.M6", today, recorded=rec)
        assert (p.state, p.reason, p.target) == ("not_done", "Subject hospitalised elsewhere", date(2025, 8, 30))


# --- screening ----------------------------------------------------------------------------------------------

def test_screening_is_anchored_on_consent():
    anchors = Anchors(consent=CONSENT)
    p = one("SE.SCREENING", CONSENT, anchors)
    assert (p.target, p.window_start, p.window_end) == (CONSENT, CONSENT, date(2025, 2, 3))
    assert one("SE.SCREENING", CONSENT - DAY, anchors).state == "upcoming"
    assert one("SE.SCREENING", date(2025, 2, 3), anchors).state == "due"
    assert one("SE.SCREENING", date(2025, 2, 4), anchors).state == "overdue"
    done = {("SE.SCREENING", 1): Recorded(date(2025, 2, 4))}
    assert one("SE.SCREENING", date(2025, 3, 1), anchors, done).state == "done_out_of_window"


def test_nothing_is_planned_without_anchors():
    plans = plan(SCHEDULE, Anchors(None, None, None), date(2025, 1, 1), {})
    assert {p.state for p in plans} == {"not_planned"}
    assert all(p.target is None and p.window_start is None for p in plans)


def test_consent_alone_plans_only_screening():
    plans = by_oid(plan(SCHEDULE, Anchors(consent=CONSENT), CONSENT, {}))
    assert plans["SE.SCREENING"].state == "due"
    assert {plans[o].state for o in PRE_INFUSION + POST_INFUSION} == {"not_planned"}


# --- day zero: planned from lymphodepletion, then re-anchored on the recorded infusion -----------------------

def test_day_zero():
    assert day_zero(Anchors(CONSENT, None, None)) == (None, False)
    assert day_zero(Anchors(CONSENT, LD1, None)) == (date(2025, 2, 15), True)
    assert day_zero(Anchors(CONSENT, LD1, date(2025, 2, 18))) == (date(2025, 2, 18), False)
    assert day_zero(Anchors(None, None, INFUSION)) == (INFUSION, False)


def test_pre_infusion_events_planned_from_lymphodepletion():
    plans = by_oid(plan(SCHEDULE, Anchors(CONSENT, LD1, None), LD1, {("SE.LD1", 1): Recorded(LD1)}))
    windows = {o: (plans[o].target, plans[o].window_start, plans[o].window_end) for o in PRE_INFUSION}
    assert windows == {
        "SE.PRELD": (date(2025, 2, 8), date(2025, 2, 8), date(2025, 2, 9)),  # day -7, window +1
        "SE.LD1": (LD1, LD1, LD1),
        "SE.LD2": (date(2025, 2, 11),) * 3,
        "SE.LD3": (date(2025, 2, 12),) * 3,
        "SE.D0": (date(2025, 2, 15),) * 3,
    }
    assert [plans[o].state for o in PRE_INFUSION] == ["overdue", "done", "upcoming", "upcoming", "upcoming"]
    assert all(plans[o].state == "not_planned" and plans[o].target is None for o in POST_INFUSION)
    assert "SE.D1" in POST_INFUSION and "SE.Y15" in POST_INFUSION


def test_post_infusion_data_before_infusion_is_recorded_counts_as_done():
    rec = {("SE.D1", 1): Recorded(date(2025, 2, 16))}
    p = by_oid(plan(SCHEDULE, Anchors(CONSENT, LD1, None), date(2025, 2, 16), rec))["SE.D1"]
    assert (p.target, p.state, p.actual) == (None, "done", date(2025, 2, 16))


def test_recorded_infusion_re_anchors_everything():
    late = date(2025, 2, 18)  # planned day 0 was 2025-02-15; infused three days late
    rec = {("SE.LD1", 1): Recorded(LD1), ("SE.D0", 1): Recorded(late)}
    before = by_oid(plan(SCHEDULE, Anchors(CONSENT, LD1, None), date(2025, 2, 15), {("SE.LD1", 1): Recorded(LD1)}))
    after = by_oid(plan(SCHEDULE, Anchors(CONSENT, LD1, late), date(2025, 2, 18), rec))
    assert before["SE.D0"].target == date(2025, 2, 15) and before["SE.D0"].state == "due"
    assert after["SE.D0"].target == late and after["SE.D0"].state == "done"
    # Pre-infusion targets shift too: lymphodepletion on 10 Feb is now day -8, outside its day -5 window.
    assert after["SE.LD1"].target == date(2025, 2, 13)
    assert after["SE.LD1"].state == "done_out_of_window"
    assert after["SE.PRELD"].window_start == date(2025, 2, 11)
    # Post-infusion visits are now planned from the recorded infusion.
    assert (after["SE.D1"].target, after["SE.D1"].state) == (date(2025, 2, 19), "upcoming")
    assert after["SE.D21"].target == date(2025, 3, 11)
    assert after["SE.Y15"].target == late + timedelta(days=365 * 15)
    assert all(after[o].target is not None for o in PRE_INFUSION + POST_INFUSION)


# --- unplanned and repeating events ---------------------------------------------------------------------------

def test_unscheduled_repeats_yield_one_plan_each_in_repeat_order():
    rec = {
        ("SE.UNSCHED", 3): Recorded(date(2025, 4, 20)),
        ("SE.UNSCHED", 1): Recorded(date(2025, 3, 10)),
        ("SE.UNSCHED", 2): Recorded(None, "not_done", "Visit cancelled"),
    }
    plans = [p for p in plan(SCHEDULE, Anchors(CONSENT, None, INFUSION), date(2025, 5, 1), rec)
             if p.event.oid == "SE.UNSCHED"]
    assert [(p.repeat, p.state, p.actual, p.reason) for p in plans] == [
        (1, "done", date(2025, 3, 10), None),
        (2, "not_done", None, "Visit cancelled"),
        (3, "done", date(2025, 4, 20), None),
    ]
    assert all(p.target is None and p.window_start is None and p.window_end is None for p in plans)


def test_no_unscheduled_plan_without_a_recorded_repeat():
    plans = plan(SCHEDULE, Anchors(CONSENT, None, INFUSION), date(2025, 5, 1), {})
    assert not [p for p in plans if p.event.oid == "SE.UNSCHED"]


@pytest.mark.parametrize("oid", ["SE.LEUKAPHERESIS", "SE.EOS"])
def test_unplanned_events_are_done_only_with_data(oid):
    anchors = Anchors(CONSENT, LD1, INFUSION)
    assert one(oid, date(2025, 5, 1), anchors).state == "not_planned"
    p = one(oid, date(2025, 5, 1), anchors, {(oid, 1): Recorded(date(2025, 1, 20))})
    assert (p.state, p.actual, p.target) == ("done", date(2025, 1, 20), None)


def test_subject_level_event_is_skipped():
    plans = plan(SCHEDULE, Anchors(CONSENT, LD1, INFUSION), date(2025, 5, 1), {("SE.SUBJECT", 1): Recorded(CONSENT)})
    assert "SE.SUBJECT" not in {p.event.oid for p in plans}
    # Everything else but the (unrecorded) unscheduled visit is planned exactly once.
    assert len(plans) == len(SCHEDULE) - 2
    assert [p.event.oid for p in plans] == [e.oid for e in SCHEDULE if e.oid not in ("SE.SUBJECT", "SE.UNSCHED")]


# --- summary and next due -----------------------------------------------------------------------------------

def test_summary_counts_every_state():
    anchors = Anchors(CONSENT, date(2025, 2, 26), INFUSION)
    today = date(2025, 3, 24)  # D21 target
    rec = {
        ("SE.SCREENING", 1): Recorded(date(2025, 1, 20)),  # done
        ("SE.LEUKAPHERESIS", 1): Recorded(date(2025, 1, 27)),  # done (unplanned with data)
        ("SE.PRELD", 1): Recorded(date(2025, 2, 20)),  # target 24 Feb..25 Feb -> out of window
        **{(f"SE.LD{i}", 1): Recorded(date(2025, 2, 25 + i)) for i in (1, 2, 3)},  # done
        ("SE.D0", 1): Recorded(INFUSION),  # done
        **{(f"SE.D{d}", 1): Recorded(INFUSION + timedelta(days=d)) for d in range(1, 13)},  # done
        ("SE.D13", 1): Recorded(None, "not_done", "Missed"),  # not_done; D14 left overdue
        ("SE.UNSCHED", 1): Recorded(date(2025, 3, 8)),  # done
    }
    plans = plan(SCHEDULE, anchors, today, rec)
    counts = summary(plans)
    assert tuple(counts) == STATES
    # Remaining: D14 overdue, D21 due, D28..Y15 upcoming (2 + 3 + 2 + 13 = 20), EOS not planned.
    assert counts == {"done": 1 + 1 + 3 + 1 + 12 + 1, "done_out_of_window": 1, "not_done": 1, "due": 1,
                      "overdue": 1, "upcoming": 1 + 20, "not_planned": 1}
    assert sum(counts.values()) == len(plans)
    assert summary([]) == dict.fromkeys(STATES, 0)


def test_next_due_prefers_the_open_window_and_skips_overdue():
    anchors = Anchors(CONSENT, None, INFUSION)
    today = date(2025, 3, 23)  # D14 (17 Mar) overdue, D21 window 22..26 Mar open, D28 upcoming
    plans = plan(SCHEDULE, anchors, today, {})
    assert next_due(plans, today).event.oid == "SE.D21"
    after = {("SE.D21", 1): Recorded(date(2025, 3, 23))}
    assert next_due(plan(SCHEDULE, anchors, today, after), today).event.oid == "SE.D28"


def test_next_due_is_none_when_nothing_is_open():
    assert next_due(plan(SCHEDULE, Anchors(), date(2025, 1, 1), {}), date(2025, 1, 1)) is None
    everything_late = plan(SCHEDULE, Anchors(CONSENT, None, INFUSION), date(2045, 1, 1), {})
    assert next_due(everything_late, date(2045, 1, 1)) is None
    assert next_due([], date(2025, 1, 1)) is None


# --- dose escalation timing ---------------------------------------------------------------------------------

def test_dlt_window_is_day_0_to_day_28_inclusive():
    assert dlt_window(INFUSION) == (INFUSION, date(2025, 3, 31))
    assert dlt_window(date(2024, 2, 1)) == (date(2024, 2, 1), date(2024, 2, 29))  # leap year
    assert dlt_window(INFUSION, days=21) == (INFUSION, date(2025, 3, 24))


def test_sentinel_clear_date_is_fourteen_days_after_the_first_infusion():
    assert sentinel_clear_date(INFUSION) == date(2025, 3, 17)
    assert sentinel_clear_date(date(2025, 12, 25)) == date(2026, 1, 8)
    assert sentinel_clear_date(INFUSION, days=28) == date(2025, 3, 31)
