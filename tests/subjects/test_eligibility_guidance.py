"""What the eligibility page says beside the engine (ecrf.enrolment.guidance): the missing data by form and
label, and the Eligibility form's answer checked against the engine's verdict, both ways."""
from __future__ import annotations

from test_eligibility_engine import ADULT, adult_woman

from ecrf.enrolment import guidance
from ecrf.enrolment.eligibility import evaluate
from ecrf.study.definition import load


def _without(*oids: str) -> dict:
    values = adult_woman()
    for oid in oids:
        values.pop(oid)
    return values


def test_missing_data_are_grouped_by_form_with_their_crf_labels_and_visit():
    result = evaluate(_without("I.VS.SPO2", "I.CARDIO.LVEF", "I.CARDIO.ECG"), ADULT)
    groups = guidance.missing_by_form(result, "true", load())
    by_form = {g.form_oid: g for g in groups}
    assert set(by_form) == {"F.VS", "F.CARDIO"}
    cardio = by_form["F.CARDIO"]
    assert cardio.event_oid == "SE.SCREENING" and cardio.criteria == ["IN5"]
    labels = dict(cardio.items)
    assert set(labels) == {"I.CARDIO.LVEF", "I.CARDIO.ECG"}
    assert all(label != oid and not label.startswith("I.") for oid, label in labels.items())
    assert labels["I.CARDIO.LVEF"] == load().items["I.CARDIO.LVEF"].label
    assert by_form["F.VS"].criteria == ["IN8"]


def test_subject_level_forms_link_to_the_subject_event_and_the_form_answer_counts_as_missing():
    result = evaluate(_without("I.DM.BRTHDAT"), ADULT)
    groups = guidance.missing_by_form(result, None, load())
    by_form = {g.form_oid: g for g in groups}
    assert by_form["F.DM"].event_oid == "SE.SUBJECT"
    assert by_form["F.ELIG"].items == [("I.ELIG.ELIGIBLE", "Participant is eligible")]
    assert "I.ELIG.ELIGIBLE" in guidance.missing_oids(result, None)
    assert "I.ELIG.ELIGIBLE" not in guidance.missing_oids(result, "false")
    words = guidance.missing_labels(groups)
    assert "Participant is eligible" in words and "I.DM.BRTHDAT" not in words


def test_nothing_missing_when_complete_and_answered():
    result = evaluate(adult_woman(), ADULT)
    assert guidance.missing_by_form(result, "true", load()) == []
    assert guidance.missing_oids(result, "true") == []


def test_form_says_eligible_engine_says_not():
    result = evaluate({**adult_woman(), "I.CARDIO.LVEF": "50"}, ADULT)
    conflict = guidance.form_conflict(result, "true")
    assert conflict is not None and conflict.form_says and conflict.failed == ("IN5",)
    assert "IN5 not met" in conflict.text()
    assert guidance.form_conflict(result, "false") is None  # both say not eligible
    assert guidance.form_conflict(result, None) is None


def test_form_says_not_eligible_engine_says_eligible():
    result = evaluate(adult_woman(), ADULT)
    conflict = guidance.form_conflict(result, "false")
    assert conflict is not None and not conflict.form_says and "every criterion is met" in conflict.text()
    assert guidance.form_conflict(result, "true") is None


def test_missing_data_make_a_form_saying_eligible_disagree_too():
    conflict = guidance.form_conflict(evaluate(_without("I.VS.SPO2"), ADULT), "true")
    assert conflict is not None and conflict.missing == ("IN8",) and "IN8 missing data" in conflict.text()


def test_a_signed_verdict_never_contradicts_the_form():
    assert "not eligible" in guidance.signing_conflict(True, "false")
    assert "records not eligible" in guidance.signing_conflict(False, "true")
    for eligible, answer in ((True, "true"), (False, "false"), (True, None), (False, None)):
        assert guidance.signing_conflict(eligible, answer) is None
