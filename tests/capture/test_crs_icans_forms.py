"""CRS and ICANS through capture: a site cannot store a grade, level or fever that contradicts the components
entered (whatever a client sends for them), contradictions are refused at the field with nothing stored, a grade of
1 or more asks for its adverse event until it is entered, and a grade that cannot be computed says why."""
from __future__ import annotations

from html import escape

import pytest
from helpers import demographics, new_subject, save
from sqlalchemy import func, select

from ecrf.clinical import crs, icans
from ecrf.errors import Invalid

DTC = "2026-11-02T10:00"


def crs_values(**override) -> dict:
    values = {"I.CRS.DTC": DTC, "I.CRS.TEMP": "38.5", "I.CRS.FEVEROTH": "false", "I.CRS.ANTIPYR": "false",
              "I.CRS.HYPOTYN": "false", "I.CRS.SBPMIN": "112", "I.CRS.VASOCNT": "0", "I.CRS.VASOPRSN": "false",
              "I.CRS.O2DEV": "none", "I.CRS.DEATH": "false"}
    values.update(override)
    return values


ICE_10 = {"I.ICANS.ICEORIENT": "4", "I.ICANS.ICEOBJECTS": "3", "I.ICANS.ICECMD": "1", "I.ICANS.ICEWRITE": "1",
          "I.ICANS.ICEATTN": "1"}


def icans_values(**override) -> dict:
    values = {"I.ICANS.DTC": DTC, "I.ICANS.TOOL": "ICE", **ICE_10, "I.ICANS.LOC": "normal", "I.ICANS.SEIZ": "none",
              "I.ICANS.MOTOR": "none", "I.ICANS.ICP": "none", "I.ICANS.DEATH": "false"}
    values.update(override)
    return {k: v for k, v in values.items() if v is not None}


def _subject(session, dob: str = "1990-05-05"):
    subject = new_subject(session)
    demographics(session, subject, "M", dob)
    return subject


def _crs(session, subject, event_oid="SE.D1", reason_code=None, **override):
    return save(session, subject, "F.CRS", crs_values(**override), event_oid=event_oid, reason_code=reason_code)


def _count(session, form_oid="F.CRS") -> int:
    from ecrf.capture.models import FormData

    return session.scalar(select(func.count()).select_from(FormData).where(FormData.form_oid == form_oid))


def _formula(session, form, oid):
    from ecrf.capture.models import ItemData

    return session.scalar(select(ItemData.formula).where(ItemData.form_id == form.id, ItemData.item_oid == oid))


def _open_system_queries(session, form) -> set[str]:
    from ecrf.queries.models import ANSWERED, OPEN, SYSTEM, Query

    session.expire_all()
    return set(session.scalars(select(Query.check_id).where(Query.form_id == form.id, Query.raised_role == SYSTEM,
                                                            Query.state.in_((OPEN, ANSWERED)))))


# -- the grade is a fact computed from the components ---------------------------------------------------------

def test_the_issue_case_8_l_min_nasal_cannula_is_grade_3_whatever_the_client_says(session, world):
    subject = _subject(session)
    form = _crs(session, subject, **{"I.CRS.O2DEV": "nasal_cannula", "I.CRS.O2FLOW": "8", "I.CRS.AENO": "1",
                                     # what a client sends for calculated items is ignored
                                     "I.CRS.HYPOX": "low_flow_nasal_cannula_le_6L_or_blow_by", "I.CRS.GRADE": "2",
                                     "I.CRS.FEVER": "false"})
    values = form.values
    assert values["I.CRS.HYPOX"] == "high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi"
    assert values["I.CRS.GRADE"] == "3" and values["I.CRS.FEVER"] == "true" and values["I.CRS.HYPOT"] == "none"
    # the formula and its version are stored with the value
    assert _formula(session, form, "I.CRS.GRADE") == crs.FORMULA_VERSION


@pytest.mark.parametrize(("flow", "grade"), [("6.0", "2"), ("6.1", "3")])
def test_nasal_cannula_flow_boundary_through_capture(session, world, flow, grade):
    subject = _subject(session)
    form = _crs(session, subject, **{"I.CRS.O2DEV": "nasal_cannula", "I.CRS.O2FLOW": flow, "I.CRS.AENO": "1"})
    assert form.values["I.CRS.GRADE"] == grade


def test_the_issue_case_two_vasopressors_are_grade_4_not_no_vasopressors(session, world):
    subject = _subject(session)
    form = _crs(session, subject, **{"I.CRS.HYPOTYN": "true", "I.CRS.SBPMIN": "72", "I.CRS.VASOCNT": "2",
                                     "I.CRS.AENO": "1", "I.CRS.HYPOT": "none", "I.CRS.GRADE": "2"})
    assert form.values["I.CRS.HYPOT"] == "multiple_vasopressors_excluding_vasopressin"
    assert form.values["I.CRS.GRADE"] == "4"


@pytest.mark.parametrize(("count", "vasopressin", "level", "grade"), [
    ("0", "false", "not_requiring_vasopressors", "2"),
    ("0", "true", "one_vasopressor_with_or_without_vasopressin", "3"),
    ("1", "false", "one_vasopressor_with_or_without_vasopressin", "3"),
    ("1", "true", "one_vasopressor_with_or_without_vasopressin", "3"),
    ("2", "false", "multiple_vasopressors_excluding_vasopressin", "4"),
    ("2", "true", "multiple_vasopressors_excluding_vasopressin", "4"),
])
def test_vasopressor_counts_through_capture(session, world, count, vasopressin, level, grade):
    subject = _subject(session)
    form = _crs(session, subject, **{"I.CRS.HYPOTYN": "true", "I.CRS.SBPMIN": "80", "I.CRS.VASOCNT": count,
                                     "I.CRS.VASOPRSN": vasopressin, "I.CRS.AENO": "1"})
    assert (form.values["I.CRS.HYPOT"], form.values["I.CRS.GRADE"]) == (level, grade)


def test_the_issue_case_39_degrees_attributable_to_another_cause_is_grade_0(session, world):
    subject = _subject(session)
    form = _crs(session, subject, **{"I.CRS.TEMP": "39.0", "I.CRS.FEVEROTH": "true", "I.CRS.FEVER": "true",
                                     "I.CRS.HYPOTYN": "true", "I.CRS.SBPMIN": "85"})
    assert form.values["I.CRS.FEVER"] == "false" and form.values["I.CRS.GRADE"] == "0"
    assert form.status == "complete"  # grade 0: no adverse event asked for


@pytest.mark.parametrize(("temp", "fever", "grade"), [("37.9", "false", "0"), ("38.0", "true", "1")])
def test_fever_from_the_temperature_at_38_0(session, world, temp, fever, grade):
    subject = _subject(session)
    form = _crs(session, subject, **{"I.CRS.TEMP": temp, "I.CRS.AENO": "1"})
    assert (form.values["I.CRS.FEVER"], form.values["I.CRS.GRADE"]) == (fever, grade)


def test_fever_earlier_in_the_episode_means_later_grading_does_not_need_it(session, world):
    from ecrf.capture import services
    from ecrf.study.reasons import RECALCULATED

    subject = _subject(session)
    later = _crs(session, subject, "SE.D2", **{"I.CRS.DTC": "2026-11-03T10:00", "I.CRS.TEMP": "37.0",
                                               "I.CRS.HYPOTYN": "true", "I.CRS.SBPMIN": "85", "I.CRS.AENO": "1"})
    assert later.values["I.CRS.GRADE"] == "0"  # no fever yet: not CRS
    # the day-1 assessment, entered late, had fever: day 2 is recomputed to grade 2 (hypotension, no vasopressor)
    _crs(session, subject, "SE.D1", **{"I.CRS.TEMP": "38.6", "I.CRS.AENO": "1"})
    session.expire_all()
    day2 = services.find_form(session, services.resolve(subject, "SE.D2", "F.CRS"))
    assert day2.values["I.CRS.GRADE"] == "2"
    from ecrf.audit.models import AuditEvent

    record = session.scalars(select(AuditEvent).where(
        AuditEvent.item_oid == "I.CRS.GRADE", AuditEvent.event_oid == "SE.D2").order_by(AuditEvent.seq)).all()[-1]
    assert (record.old_value, record.new_value) == ("0", "2") and RECALCULATED in record.reason
    # corrected: day 1 was 37.5 degC after all, so day 2 is not CRS again
    save(session, subject, "F.CRS", crs_values(**{"I.CRS.TEMP": "37.5", "I.CRS.AENO": "1"}), event_oid="SE.D1",
         reason_code="TRANSCRIPTION")
    session.expire_all()
    assert services.find_form(session, services.resolve(subject, "SE.D2", "F.CRS")).values["I.CRS.GRADE"] == "0"


def test_antipyretic_at_an_earlier_assessment_also_lifts_the_fever_requirement(session, world):
    subject = _subject(session)
    _crs(session, subject, "SE.D1", **{"I.CRS.TEMP": "37.2", "I.CRS.ANTIPYR": "true"})
    day2 = _crs(session, subject, "SE.D2", **{"I.CRS.DTC": "2026-11-03T10:00", "I.CRS.TEMP": "37.0",
                                              "I.CRS.O2DEV": "facemask", "I.CRS.AENO": "1"})
    assert day2.values["I.CRS.GRADE"] == "3"
    # an assessment dated before the treatment does not count it
    day0 = _crs(session, subject, "SE.D0", **{"I.CRS.DTC": "2026-11-01T10:00", "I.CRS.TEMP": "37.0",
                                              "I.CRS.O2DEV": "facemask"})
    assert day0.values["I.CRS.GRADE"] == "0"


# -- contradictions: refused at the field, nothing stored -------------------------------------------------------

@pytest.mark.parametrize(("override", "field", "words"), [
    ({"I.CRS.VASOCNT": "1"}, "I.CRS.VASOCNT", "hypotension is 'no'"),
    ({"I.CRS.VASOCNT": "2"}, "I.CRS.VASOCNT", "hypotension is 'no'"),
    ({"I.CRS.VASOPRSN": "true"}, "I.CRS.VASOPRSN", "hypotension is 'no'"),
    ({"I.CRS.O2FLOW": "2"}, "I.CRS.O2FLOW", "device is 'none'"),
    ({"I.CRS.O2DEV": "nasal_cannula"}, "I.CRS.O2FLOW", "nasal cannula needs its flow"),
    ({"I.CRS.O2DEV": "nasal_cannula", "I.CRS.O2FLOW": "0"}, "I.CRS.O2FLOW", "nasal cannula needs its flow"),
])
def test_a_contradiction_is_refused_at_its_field_and_nothing_is_stored(session, world, override, field, words):
    subject = _subject(session)
    with pytest.raises(Invalid) as refused:
        _crs(session, subject, **override)
    session.rollback()
    assert words in refused.value.errors[field]
    assert _count(session) == 0


def test_a_contradiction_leaves_a_stored_assessment_unchanged(session, world):
    subject = _subject(session)
    form = _crs(session, subject, **{"I.CRS.AENO": "1"})
    before = dict(form.values)
    with pytest.raises(Invalid) as refused:
        save(session, subject, "F.CRS", crs_values(**{"I.CRS.VASOCNT": "2", "I.CRS.AENO": "1"}), event_oid="SE.D1",
             reason_code="TRANSCRIPTION")
    session.rollback()
    session.expire_all()
    assert "I.CRS.VASOCNT" in refused.value.errors
    from ecrf.capture import services

    assert services.find_form(session, services.resolve(subject, "SE.D1", "F.CRS")).values == before


@pytest.mark.parametrize(("dob", "sbp", "finding"), [
    ("1990-05-05", "89", True), ("1990-05-05", "90", False),  # adult: < 90 mmHg
    ("2019-06-01", "83", True), ("2019-06-01", "84", False),  # 7 years: < 70 + 2 x 7 = 84
    ("2016-11-02", "89", True), ("2016-11-03", "87", True), ("2016-11-03", "88", False),  # 10 y: 90; 9 y: 88
])
def test_a_systolic_pressure_below_the_age_limit_with_no_hypotension_is_queried(session, world, dob, sbp, finding):
    subject = _subject(session, dob)
    form = _crs(session, subject, **{"I.CRS.TEMP": "37.0", "I.CRS.SBPMIN": sbp})
    assert form.values["I.CRS.SBPMIN"] == sbp  # soft: stored
    assert ("CRS.SBP_BELOW_AGE_LIMIT" in _open_system_queries(session, form)) is finding


# -- the links: the CRS or ICANS adverse event, the medication given for it --------------------------------------

AE = {"I.AE.TERM": "Cytokine release syndrome", "I.AE.STDAT": "2026-11-02", "I.AE.ONGO": "Y", "I.AE.TOXGR": "2",
      "I.AE.SER": "N", "I.AE.RELCART": "RELATED", "I.AE.OUT": "NOT RECOVERED/NOT RESOLVED", "I.AE.AESI": "true"}


def _ae(session, subject, repeat: int, kind: str):
    from helpers import ctx

    from ecrf.capture import services

    target = services.resolve(subject, "SE.SUBJECT", "F.AE", 1, repeat)
    existing = services.find_form(session, target)
    form = services.save_form(session, target, {**AE, "I.AE.AESITYP": kind}, version=existing.version if existing
                              else 0, user_id=None, ctx=ctx(), reason_code="TRANSCRIPTION" if existing else None)
    session.commit()
    return form


def _cm(session, subject, repeat: int, **values):
    from helpers import ctx

    from ecrf.capture import services

    target = services.resolve(subject, "SE.SUBJECT", "F.CM", 1, repeat)
    form = services.save_form(session, target, {
        "I.CM.TRT": "tocilizumab", "I.CM.CAT": "CRS_ICANS", "I.CM.INDC": "CRS grade 2", "I.CM.STDAT": "2026-11-02",
        "I.CM.ONGO": "Y", **values}, version=0, user_id=None, ctx=ctx())
    session.commit()
    return form


def test_a_graded_crs_asks_for_its_adverse_event_until_it_is_entered(session, world):
    from ecrf.capture import checks
    from ecrf.capture import services as capture

    subject = _subject(session)
    form = _crs(session, subject)  # grade 1, no AE named
    assert form.values["I.CRS.GRADE"] == "1" and form.status == "incomplete"
    assert _open_system_queries(session, form) == {"CRS.AE_IF_GRADED"}
    target = capture.resolve(subject, "SE.D1", "F.CRS")
    _, soft = checks.stored_findings(session, target, form, __import__("helpers").ctx())
    assert "its adverse event is missing" in soft[0].message

    form = _crs(session, subject, **{"I.CRS.AENO": "1"}, reason_code="TRANSCRIPTION")
    assert form.status == "complete" and _open_system_queries(session, form) == {"CRS.AE_IS_CRS"}
    _ae(session, subject, 1, "ICANS")  # record 1 is not a CRS: still missing
    assert _open_system_queries(session, form) == {"CRS.AE_IS_CRS"}
    _ae(session, subject, 1, "CRS")  # entered: the query closes itself, without another save of the assessment
    assert _open_system_queries(session, form) == set()


def test_antipyretic_yes_without_its_medication_on_the_log_is_queried(session, world):
    subject = _subject(session)
    _ae(session, subject, 1, "CRS")
    form = _crs(session, subject, **{"I.CRS.ANTIPYR": "true", "I.CRS.AENO": "1"})
    assert _open_system_queries(session, form) == {"CRS.TREATMENT_ON_CM_LOG"}
    _cm(session, subject, 1, **{"I.CM.CAT": "SLE", "I.CM.TRT": "hydroxychloroquine", "I.CM.AENO": "1"})
    assert _open_system_queries(session, form) == {"CRS.TREATMENT_ON_CM_LOG"}  # not a CRS treatment
    _cm(session, subject, 2, **{"I.CM.AENO": "1"})
    assert _open_system_queries(session, form) == set()


def test_a_crs_icans_medication_must_name_its_adverse_event(session, world):
    subject = _subject(session)
    cm = _cm(session, subject, 1)
    assert cm.status == "incomplete" and _open_system_queries(session, cm) == {"CM.AE_IF_CRS_ICANS"}
    cm = save(session, subject, "F.CM", {**cm.values, "I.CM.AENO": "1"}, event_oid="SE.SUBJECT",
              reason_code="TRANSCRIPTION")
    assert cm.status == "complete" and _open_system_queries(session, cm) == {"CM.AE_IS_CRS_ICANS"}
    _ae(session, subject, 1, "CRS")
    assert _open_system_queries(session, cm) == set()


def test_a_graded_icans_asks_for_its_adverse_event(session, world):
    subject = _subject(session)
    form = save(session, subject, "F.ICANS", icans_values(**{"I.ICANS.ICEWRITE": "0"}), event_oid="SE.D1")
    assert form.values["I.ICANS.GRADE"] == "1" and _open_system_queries(session, form) == {"ICANS.AE_IF_GRADED"}
    form = save(session, subject, "F.ICANS", icans_values(**{"I.ICANS.ICEWRITE": "0", "I.ICANS.AENO": "1"}),
                event_oid="SE.D1", reason_code="TRANSCRIPTION")
    assert _open_system_queries(session, form) == {"ICANS.AE_IS_ICANS"}
    _ae(session, subject, 1, "ICANS")
    assert _open_system_queries(session, form) == set()


# -- ICANS --------------------------------------------------------------------------------------------------------

def _icans(session, subject, reason_code=None, **override):
    return save(session, subject, "F.ICANS", icans_values(**override), event_oid="SE.D1", reason_code=reason_code)


def test_icans_client_sent_grade_is_ignored_and_the_version_stored(session, world):
    subject = _subject(session)
    form = _icans(session, subject, **{"I.ICANS.ICEORIENT": "1", "I.ICANS.ICEOBJECTS": "1", "I.ICANS.GRADE": "0",
                                       "I.ICANS.AENO": "1"})  # ICE 5
    assert form.values["I.ICANS.GRADE"] == "2"
    assert _formula(session, form, "I.ICANS.GRADE").startswith(icans.FORMULA_VERSION)


@pytest.mark.parametrize(("scores", "grade"), [
    (("4", "3", "1", "1", "1"), "0"), (("4", "3", "1", "1", "0"), "1"), (("4", "1", "1", "1", "0"), "1"),
    (("4", "0", "1", "1", "0"), "2"), (("1", "0", "1", "1", "0"), "2"), (("1", "0", "1", "0", "0"), "3"),
    (("0", "0", "0", "0", "0"), "3"),
])
def test_ice_10_9_7_6_3_2_0_through_capture(session, world, scores, grade):
    subject = _subject(session)
    form = _icans(session, subject, **dict(zip(ICE_10, scores, strict=True)), **{"I.ICANS.AENO": "1"})
    assert form.values["I.ICANS.GRADE"] == grade


def test_a_domain_attributable_to_another_cause_does_not_count(session, world):
    seizure = "life_threatening_prolonged_gt_5min_or_repetitive_without_return_to_baseline"
    subject = _subject(session)
    form = _icans(session, subject, **{"I.ICANS.SEIZ": seizure, "I.ICANS.AENO": "1"})
    assert form.values["I.ICANS.GRADE"] == "4"
    form = _icans(session, subject, **{"I.ICANS.SEIZ": seizure, "I.ICANS.SEIZOTH": "true"},
                  reason_code="TRANSCRIPTION")  # a seizure from hyponatraemia
    assert form.values["I.ICANS.GRADE"] == "0"


def test_a_missing_domain_gives_cannot_grade_naming_it(session, world):
    from helpers import ctx

    from ecrf.capture import derived
    from ecrf.study.words import render

    subject = _subject(session)
    form = _icans(session, subject, **{"I.ICANS.SEIZ": None, "I.ICANS.ICEATTN": None})
    assert form.values.get("I.ICANS.GRADE") is None  # never a grade computed without a domain
    why = derived.why_not_calculated(session, subject.id, form_def("F.ICANS"), form.values, ctx(), form.id)
    assert render(why["I.ICANS.GRADE"]) == ("Cannot grade: ICE: attention, count backwards from 100 by 10, Seizure "
                                            "missing")


def form_def(oid):
    from ecrf.study.definition import load

    return load().form(oid)


@pytest.mark.parametrize(("dob", "refused"), [
    ("2019-06-01", True),  # 7 years
    ("2014-11-03", True),  # 11 years and 364 days: still below 12
    ("2014-11-02", False),  # 12 today
])
def test_the_ice_for_a_child_below_the_cut_off_is_refused(session, world, dob, refused):
    subject = _subject(session, dob)
    if refused:
        with pytest.raises(Invalid) as error:
            _icans(session, subject)
        session.rollback()
        assert "CAPD" in error.value.errors["I.ICANS.TOOL"] and _count(session, "F.ICANS") == 0
    else:
        assert _icans(session, subject).values["I.ICANS.GRADE"] == "0"
    # the CAPD is always accepted (below the cut-off, or with developmental delay above it)
    capd = {f"I.ICANS.CAPD{n}": "always" if n <= 4 else "never" for n in range(1, 9)}
    form = _icans(session, subject, **{"I.ICANS.TOOL": "CAPD", **dict.fromkeys(ICE_10)}, **capd,
                  **({"reason_code": "TRANSCRIPTION"} if not refused else {}))
    assert form.values["I.ICANS.GRADE"] == "0"


def test_the_cut_off_is_the_protocol_parameter(session, world):
    from ecrf.study import protocol

    subject = _subject(session, "2014-11-02")  # 12 today
    protocol.configure({"ICANS_CAPD_BELOW_AGE": "13"})  # the NCIt reading: "12 and under" use the CAPD
    try:
        with pytest.raises(Invalid) as error:
            _icans(session, subject)
        session.rollback()
        assert "I.ICANS.TOOL" in error.value.errors
    finally:
        protocol.configure()
    form = _icans(session, subject)
    assert form.values["I.ICANS.GRADE"] == "0" and "CAPD below 12 y" in _formula(session, form, "I.ICANS.GRADE")


# -- the faces: the web form and the casebook ----------------------------------------------------------------------

def _key(app, dob="1990-05-05"):
    from ecrf.infra.extensions import db

    with app.app_context():
        return _subject(db.session, dob).key


def test_web_refuses_the_contradiction_at_the_field_and_shows_the_formula(app, as_role):
    key = _key(app)
    browser = as_role("coordinator")
    url = f"/subjects/{key}/events/SE.D1/forms/F.CRS"
    refused = browser.post(url, {**crs_values(**{"I.CRS.VASOCNT": "2", "I.CRS.GRADE": "1"}), "version": "0"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'data-testid="error-I.CRS.VASOCNT"' in page and "hypotension is &#39;no&#39;" in page
    eight = crs_values(**{"I.CRS.O2DEV": "nasal_cannula", "I.CRS.O2FLOW": "8", "I.CRS.GRADE": "2", "I.CRS.AENO": "1"})
    assert browser.post(url, {**eight, "version": "0"}).status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert f'data-testid="formula-I.CRS.GRADE">{escape(crs.FORMULA_VERSION)}' in page
    assert 'value="3"' in page


def test_web_and_casebook_show_cannot_grade_with_labels(app, as_role):
    from ecrf.casebook import record
    from ecrf.exports.casebook_sections import item_row
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    key = _key(app)
    browser = as_role("coordinator")
    url = f"/subjects/{key}/events/SE.D1/forms/F.ICANS"
    assert browser.post(url, {**icans_values(**{"I.ICANS.MOTOR": None}), "version": "0"}).status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert 'data-testid="uncalculated-I.ICANS.GRADE">Cannot grade: Motor findings missing' in page
    with app.app_context():
        subject = db.session.scalar(select(Subject).where(Subject.key == key))
        built = record.build(db.session, subject, "monitor")
        grade = next(i for _, f in built.forms() if f.definition.oid == "F.ICANS" and f.data is not None
                     for i in f.items if i.definition.oid == "I.ICANS.GRADE")
        assert grade.value is None and grade.why_empty == "Cannot grade: Motor findings missing"
        assert item_row(grade)[1] == "Cannot grade: Motor findings missing"
