"""Edit checks declared with the study: each kind at its boundaries, hard ones refused with every message at
once (nothing stored), soft ones stored and given to the findings sinks, the loader refusing unknown OIDs."""
from __future__ import annotations

import dataclasses
from zoneinfo import ZoneInfo

import pytest
from helpers import VS_URL, ctx, new_subject, save, sledai_values, vs_values
from sqlalchemy import func, select

from ecrf.study import checks as kinds
from ecrf.study.checks import Finding, Severity

SHANGHAI = ctx()


def _holds(check, values, facts=None):
    latest = {oid: v for oid, v in (facts or {}).items() if oid in check.needs}
    earliest = {oid: v for oid, v in (facts or {}).items() if oid in check.first}
    hard, soft = kinds.evaluate((check,), values, latest, earliest, SHANGHAI)
    return not hard and not soft


def _study_check(check_id):
    from ecrf.study.definition import load

    return next(c for c in load().checks if c.id == check_id)


# -- the kinds, pure -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dia, sys, ok", [("117", "118", True), ("118", "118", False), ("130", "118", False),
                                          (None, "118", True), ("80", None, True)])
def test_cross_field_diastolic_below_systolic_is_hard(dia, sys, ok):
    check = _study_check("VS.BP_ORDER")
    assert check.severity is Severity.HARD and check.item == "I.VS.DIABP"
    assert _holds(check, {"I.VS.DIABP": dia, "I.VS.SYSBP": sys}) is ok


@pytest.mark.parametrize("start, end, ok", [("2026-11-02", "2026-11-02", True), ("2026-11-02", "2026-11-01", False),
                                            ("2026-11-02", None, True)])
def test_cross_field_an_end_on_or_after_its_start(start, end, ok):
    assert _holds(_study_check("AE.END_AFTER_START"), {"I.AE.STDAT": start, "I.AE.ENDAT": end}) is ok


def test_cross_field_an_infusion_stops_after_it_started():
    check = _study_check("INF.END_AFTER_START")
    assert not _holds(check, {"I.INF.STDTC": "2026-11-02T02:00:00Z", "I.INF.ENDTC": "2026-11-02T02:00:00Z"})
    assert _holds(check, {"I.INF.STDTC": "2026-11-02T02:00:00Z", "I.INF.ENDTC": "2026-11-02T02:30:00Z"})


@pytest.mark.parametrize("temp, ok", [("35.0", True), ("34.9", False), ("41.0", True), ("41.1", False), (None, True)])
def test_range_plausible_temperature_is_soft(temp, ok):
    check = _study_check("VS.TEMP_PLAUSIBLE")
    assert check.severity is Severity.SOFT
    assert _holds(check, {"I.VS.TEMP": temp}) is ok


def test_required_if_and_a_yes_that_needs_its_detail():
    end = _study_check("AE.END_IF_RESOLVED")
    assert not _holds(end, {"I.AE.ONGO": "N"}) and _holds(end, {"I.AE.ONGO": "N", "I.AE.ENDAT": "2026-11-03"})
    assert _holds(end, {"I.AE.ONGO": "Y"})
    detail = _study_check("INF.REACT_DETAIL")
    assert not _holds(detail, {"I.INF.REACT": "true"}) and _holds(detail, {"I.INF.REACT": "false"})
    assert _holds(detail, {"I.INF.REACT": "true", "I.INF.REACTSP": "chills at 20 min"})
    assert kinds.required_now((detail, end), {"I.INF.REACT": "true", "I.AE.ONGO": "Y"}) == {"I.INF.REACTSP"}


@pytest.mark.parametrize("weight, ok", [("55.0", True), ("55.1", False), ("45.0", True), ("44.9", False),
                                        ("50", True), (None, True)])
def test_cross_form_infusion_weight_within_ten_percent_of_lymphodepletion(weight, ok):
    check = _study_check("INF.WEIGHT_VS_LD")
    assert check.needs == ("I.LD.WEIGHT",)
    assert _holds(check, {"I.INF.WEIGHT": weight}, {"I.LD.WEIGHT": "50.0"}) is ok  # exactly 10 % off holds
    assert _holds(check, {"I.INF.WEIGHT": weight}, {})  # no lymphodepletion weight yet: nothing to compare


@pytest.mark.parametrize("onset, ok", [("2026-11-01", True), ("2026-10-31", False), ("2026-12-01", True)])
def test_cross_form_ae_onset_not_before_the_first_consent(onset, ok):
    check = _study_check("AE.ONSET_AFTER_CONSENT")
    # signed 2026-11-01 07:00 in Shanghai, stored in UTC the day before: the site-local day counts
    assert _holds(check, {"I.AE.STDAT": onset}, {"I.IC.DTC": "2026-10-31T23:00:00Z"}) is ok


@pytest.mark.parametrize("day, ok", [("2026-10-31T01:00:00Z", False), ("2026-11-01T01:00:00Z", True),
                                     ("2027-03-01T01:00:00Z", True), ("2027-03-02T01:00:00Z", False)])
def test_cross_form_visit_date_inside_participation(day, ok):
    check = _study_check("VS.IN_PARTICIPATION")
    facts = {"I.IC.DTC": "2026-11-01T00:00:00Z", "I.EOS.DAT": "2027-03-01"}
    assert _holds(check, {"I.VS.DTC": day}, facts) is ok
    assert _holds(check, {"I.VS.DTC": "2030-01-01T01:00:00Z"}, {"I.IC.DTC": "2026-11-01T00:00:00Z"})  # no end yet


# -- the loader ----------------------------------------------------------------------------------------------

def _loader(*checks):
    from ecrf.study.crfs import FORMS
    from ecrf.study.definition import Study
    from ecrf.study.schedule import SCHEDULE

    return Study(SCHEDULE, FORMS, checks)


def test_the_loader_refuses_a_check_naming_an_unknown_oid():
    from ecrf.study.definition import DefinitionError

    with pytest.raises(DefinitionError, match=r"VS\.TYPO.*I\.VS\.SYSTOLIC"):
        _loader(kinds.before("VS.TYPO", "I.VS.DIABP", "I.VS.SYSTOLIC", "x")).check()
    with pytest.raises(DefinitionError, match=r"I\.LD\.WEIGHTT"):
        _loader(kinds.within_percent("INF.W", "I.INF.WEIGHT", "I.LD.WEIGHTT", 10, "x")).check()
    with pytest.raises(DefinitionError, match=r"reads I\.LD\.WEIGHT of F\.LD"):  # another form's item is a need
        _loader(kinds.before("INF.X", "I.LD.WEIGHT", "I.INF.WEIGHT", "x")).check()
    with pytest.raises(DefinitionError, match="duplicate edit check id VS.A"):
        twice = kinds.in_range("VS.A", "I.VS.HR", 30, 200, "x")
        _loader(twice, twice).check()
    _loader(_study_check("VS.BP_ORDER")).check()  # a good one passes


# -- through capture -----------------------------------------------------------------------------------------

@pytest.fixture
def sink():
    """A recording findings sink installed beside the trial's rules (restored after the test)."""
    from ecrf.capture import rules

    calls: list[tuple[int, list[Finding]]] = []
    before = rules.installed()
    rules.install(dataclasses.replace(before, findings=(lambda s, form, found, user: calls.append((form.id,
                                                                                                  found)),)))
    yield calls
    rules.install(before)


@pytest.fixture
def bare_sink():
    """Only a recording sink: no trial guards, so treatment forms can be saved in any order."""
    from ecrf.capture import rules

    calls: list = []
    before = rules.installed()
    rules.install(rules.RuleSet(findings=(lambda s, form, found, user: calls.append((form.id, found)),)))
    yield calls
    rules.install(before)


def _forms(session):
    from ecrf.capture.models import FormData

    return session.scalar(select(func.count()).select_from(FormData).where(FormData.form_oid == "F.VS"))


def test_the_issue_case_130_over_118_is_refused_and_nothing_is_stored(session, world, sink):
    from ecrf.errors import Invalid

    subject = new_subject(session)
    sink.clear()  # the consent's save
    with pytest.raises(Invalid) as refused:
        save(session, subject, "F.VS", vs_values(**{"I.VS.DIABP": "130", "I.VS.SYSBP": "118"}))
    session.rollback()
    assert "lower than the systolic" in refused.value.errors["I.VS.DIABP"]
    assert _forms(session) == 0 and sink == []


def test_every_message_at_once_validation_hard_checks_and_flags(session, world, sink):
    from ecrf.errors import Invalid

    subject = new_subject(session)
    with pytest.raises(Invalid) as refused:
        save(session, subject, "F.VS", vs_values(**{"I.VS.DIABP": "130", "I.VS.HR": "fast", "I.VS.SPO2": ""}),
             missing={"I.VS.SPO2": {"code": "NOT_DONE", "reason": ""}})
    session.rollback()
    errors = refused.value.errors
    assert set(errors) == {"I.VS.DIABP", "I.VS.HR", "I.VS.SPO2"}
    assert "whole number" in errors["I.VS.HR"] and "reason" in errors["I.VS.SPO2"]
    assert _forms(session) == 0


def test_soft_finding_stores_the_value_and_reaches_the_sink_then_clears(session, world, sink):
    subject = new_subject(session)
    sink.clear()  # the consent's save
    form = save(session, subject, "F.VS", vs_values(**{"I.VS.TEMP": "34.6"}))
    assert form.values["I.VS.TEMP"] == "34.6" and form.status == "complete"
    assert sink == [(form.id, [Finding("VS.TEMP_PLAUSIBLE", "I.VS.TEMP", _study_check("VS.TEMP_PLAUSIBLE").message)])]
    save(session, subject, "F.VS", vs_values(**{"I.VS.TEMP": "35.1"}), reason_code="TRANSCRIPTION")
    assert sink[-1] == (form.id, [])  # the full list each save: empty once every check holds


def test_cross_form_weight_through_capture(session, world, bare_sink):
    subject = new_subject(session)
    save(session, subject, "F.LD", {"I.LD.DAT": "2026-11-10", "I.LD.HEIGHT": "165", "I.LD.WEIGHT": "50.0"},
         event_oid="SE.LD1")
    inf = save(session, subject, "F.INF", {"I.INF.WEIGHT": "55.0"}, event_oid="SE.D0")
    # exactly 10 % holds; a new form without findings has nothing for the sinks to open or close
    assert all(form_id != inf.id for form_id, _ in bare_sink)
    save(session, subject, "F.INF", {"I.INF.WEIGHT": "55.1"}, event_oid="SE.D0")
    assert [f.check_id for f in bare_sink[-1][1]] == ["INF.WEIGHT_VS_LD"]


def test_cross_form_ae_onset_and_visit_date_read_the_first_consent(session, world, bare_sink):
    from helpers import consent

    subject = new_subject(session)  # consent 2026-11-01 08:00 Shanghai
    consent(session, subject, when="2026-11-15T08:00")  # a re-consent: participation still starts at the first
    ae = {"I.AE.TERM": "Headache", "I.AE.ONGO": "Y", "I.AE.TOXGR": "1", "I.AE.SER": "N",
          "I.AE.RELCART": "NOT RELATED", "I.AE.OUT": "NOT RECOVERED/NOT RESOLVED"}
    form = save(session, subject, "F.AE", {**ae, "I.AE.STDAT": "2026-11-05"}, event_oid="SE.SUBJECT")
    assert all(form_id != form.id for form_id, _ in bare_sink)
    save(session, subject, "F.AE", {**ae, "I.AE.STDAT": "2026-10-31"}, event_oid="SE.SUBJECT",
         reason_code="TRANSCRIPTION")
    assert [f.check_id for f in bare_sink[-1][1]] == ["AE.ONSET_AFTER_CONSENT"]
    vs = save(session, subject, "F.VS", vs_values(**{"I.VS.DTC": "2026-10-30T09:00"}))
    assert [f.check_id for f in bare_sink[-1][1]] == ["VS.IN_PARTICIPATION"] and vs.values["I.VS.DTC"]


def test_the_issue_case_sledai_with_19_descriptors_unanswered(session, world):
    from ecrf.clinical import sledai

    subject = new_subject(session)
    five = {k: v for k, v in sledai_values("arthritis", "rash").items()
            if not k.startswith("I.SLEDAI.") or k in ("I.SLEDAI.DAT", "I.SLEDAI.LOOKBACK")
            or k.split(".")[-1].lower() in [d.id for d in sledai.DESCRIPTORS[8:13]]}
    assert sum(k.split(".")[-1].lower() in {d.id for d in sledai.DESCRIPTORS} for k in five) == 5
    form = save(session, subject, "F.SLEDAI", {**five, "I.SLEDAI.TOTAL": "4"})
    assert form.status == "incomplete" and form.values.get("I.SLEDAI.TOTAL") is None  # no understated total
    form = save(session, subject, "F.SLEDAI", sledai_values("arthritis", "rash"))
    assert form.status == "complete" and form.values["I.SLEDAI.TOTAL"] == "6"


def test_sledai_laboratory_descriptor_not_done_completes_without_a_total(session, world):
    subject = new_subject(session)
    values = sledai_values("arthritis", **{"I.SLEDAI.LOW_COMPLEMENT": ""})
    form = save(session, subject, "F.SLEDAI", values,
                missing={"I.SLEDAI.LOW_COMPLEMENT": {"code": "NOT_DONE", "reason": "no C3/C4 in the look-back"}})
    assert form.status == "complete" and form.values.get("I.SLEDAI.TOTAL") is None


# -- web and API ---------------------------------------------------------------------------------------------

def _key(app):
    from ecrf.infra.extensions import db

    with app.app_context():
        return new_subject(db.session).key


def test_web_shows_hard_errors_and_soft_warnings_at_their_fields(app, as_role):
    key = _key(app)
    browser = as_role("coordinator")
    url = VS_URL.format(key=key)
    refused = browser.post(url, {**vs_values(**{"I.VS.DIABP": "130", "I.VS.TEMP": "34.6"}), "version": "0"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'data-testid="error-I.VS.DIABP"' in page and "lower than the systolic" in page
    assert 'data-testid="warning-I.VS.TEMP"' in page  # the soft one, shown with the hard one, at once
    assert browser.post(url, {**vs_values(**{"I.VS.TEMP": "34.6"}), "version": "0"}).status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert 'data-testid="warning-I.VS.TEMP"' in page and "confirm it against the source" in page
    assert 'data-testid="error-I.VS.DIABP"' not in page


def test_the_site_local_day_decides():
    # the site-local day decides: 23:30 UTC is the next day in Shanghai
    check = kinds.not_before_first("X", "I.AE.STDAT", "I.IC.DTC", "m")
    ctx_utc = dataclasses.replace(SHANGHAI, tz=ZoneInfo("UTC"))
    assert kinds.evaluate((check,), {"I.AE.STDAT": "2026-11-01"}, {}, {"I.IC.DTC": "2026-10-31T23:30:00Z"},
                          SHANGHAI) == ({}, [])
    assert kinds.evaluate((check,), {"I.AE.STDAT": "2026-10-31"}, {}, {"I.IC.DTC": "2026-10-31T23:30:00Z"},
                          ctx_utc) == ({}, [])
