"""The trial's path through the API: eligibility, enrolment, screen failure, withdrawal, visits not done, dose
levels and ICF versions; same services, refusals, roles and site isolation as the web views, and fuzz-safe."""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from api_helpers import API, ROLES, audit_rows
from helpers import PASSWORD, confirm_eligible, demographics, new_subject, save, vs_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecrf.api.openapi import document
from ecrf.auth.permissions import API_MATRIX, MATRIX
from ecrf.study import protocol

#: the endpoints of ecrf.api.trial, with their web counterparts
TRIAL = {
    "api.eligibility": "enrolment.eligibility",
    "api.confirm_eligibility": "enrolment.confirm",
    "api.enrol": "enrolment.enrol",
    "api.screen_failure": "enrolment.screen_fail",
    "api.withdraw_consent": "consent.withdraw",
    "api.mark_not_done": "visits.not_done",
    "api.dose_levels": "enrolment.dose_levels",
    "api.record_dose_decision": "enrolment.dose_levels",
    "api.icf_versions": "consent.icf_versions",
    "api.register_icf_version": "consent.icf_versions",
}
#: where the web view narrows its endpoint's roles inside the view (a POST on a GET page)
IN_VIEW = {"api.record_dose_decision": {"investigator", "data_manager"},
           "api.register_icf_version": {"investigator", "data_manager"}}
SUBJECT_ENDPOINTS = ("api.eligibility", "api.confirm_eligibility", "api.enrol", "api.screen_failure",
                     "api.withdraw_consent", "api.mark_not_done")

DOC = document()
OPERATIONS = {f"api.{op['operationId']}": (method.upper(), path)
              for path, ops in DOC["paths"].items() for method, op in ops.items()}
EXPECTED = {
    "api.eligibility": ("GET", "/subjects/{subject}/eligibility"),
    "api.confirm_eligibility": ("POST", "/subjects/{subject}/eligibility"),
    "api.enrol": ("POST", "/subjects/{subject}/enrolment"),
    "api.screen_failure": ("POST", "/subjects/{subject}/screen-failure"),
    "api.withdraw_consent": ("POST", "/subjects/{subject}/withdrawals"),
    "api.mark_not_done": ("POST", "/subjects/{subject}/events/{event_oid}/not-done"),
    "api.dose_levels": ("GET", "/dose-levels"),
    "api.record_dose_decision": ("POST", "/dose-levels/decisions"),
    "api.icf_versions": ("GET", "/icf-versions"),
    "api.register_icf_version": ("POST", "/icf-versions"),
}


@contextmanager
def _db(app):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        yield db.session
        db.session.remove()


def _subject(session, key):
    from sqlalchemy import select

    from ecrf.subjects.models import Subject

    return session.scalar(select(Subject).where(Subject.key == key))


def _state(app, key) -> dict:
    with _db(app) as session:
        s = _subject(session, key)
        return {"status": s.status, "subject_no": s.subject_no, "dose_level": s.dose_level,
                "screen_fail_reason": s.screen_fail_reason}


def _demographics(app, key):
    """Date of birth and sex: with the consent of ``new_subject``, IN1 and IN11 are met."""
    with _db(app) as session:
        demographics(session, _subject(session, key))


def _open_codes(app, key) -> list[str]:
    """The criteria not met (failed or missing)."""
    from ecrf.enrolment import services

    with _db(app) as session:
        result = services.eligibility(session, _subject(session, key))
        return [*result.failed, *result.missing]


def _confirm(app, key):
    _demographics(app, key)
    with _db(app) as session:
        confirm_eligible(session, _subject(session, key))


def _post(api, tokens, path, body, who="investigator"):
    return api.request("POST", API + path, token=tokens[who], json=body)


def _get(api, tokens, path, who="monitor"):
    return api.get(API + path, token=tokens[who])


def _site_today(tz="Asia/Shanghai") -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(tz)).date().isoformat()


# -- eligibility ---------------------------------------------------------------------------------------------------

def test_eligibility_lists_the_criteria_and_no_review_yet(app, api, tokens, keys):
    response = _get(api, tokens, f"/subjects/{keys['01']}/eligibility")
    assert response.status_code == 200, response.json
    body = response.json
    assert [c["code"] for c in body["criteria"]] == [f"IN{n}" for n in range(1, 12)] + ["EX"]
    assert set(body["criteria"][0]) == {"code", "label", "status", "value", "missing"}
    assert body["all_met"] is False and body["review"] is None
    open_codes = body["failed"] + body["missing"]
    assert open_codes and set(open_codes) == set(_open_codes(app, keys["01"]))
    assert "I.DM.BRTHDAT" in body["criteria"][0]["missing"]  # IN1 needs the date of birth


def test_confirm_with_overrides_and_reason(app, api, tokens, keys):
    _demographics(app, keys["01"])
    codes = _open_codes(app, keys["01"])
    assert "IN11" not in codes
    response = _post(api, tokens, f"/subjects/{keys['01']}/eligibility",
                     {"password": PASSWORD, "overrides": [*codes, codes[0]], "reason": "  source documents checked "})
    assert response.status_code == 409 and "Data are missing:" in response.json["error"]  # not acknowledged
    assert "Participant is eligible" in response.json["error"]  # the CRF's labels, not OIDs
    response = _post(api, tokens, f"/subjects/{keys['01']}/eligibility",
                     {"password": PASSWORD, "overrides": codes, "reason": "  source documents checked ",
                      "despite_missing": True})
    assert response.status_code == 201, response.json
    review = response.json
    assert review["eligible"] is True and review["overridden"] == sorted(codes)  # duplicates collapse
    assert review["override_reason"] == "source documents checked" and review["reviewed_by"] == "investigator"
    assert review["reviewed_at"].endswith("Z")
    assert _get(api, tokens, f"/subjects/{keys['01']}/eligibility").json["review"] == review
    rows = audit_rows(app, entity="eligibility_review", action="create")
    assert [(r.username, r.subject_key) for r in rows] == [("investigator", keys["01"])]


def test_confirm_without_overrides_records_not_eligible(api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['01']}/eligibility", {"password": PASSWORD})
    assert response.status_code == 201 and response.json["eligible"] is False and response.json["overridden"] == []
    refused = _post(api, tokens, f"/subjects/{keys['01']}/enrolment", {})
    assert refused.status_code == 409 and "Eligibility has not been confirmed" in refused.json["error"]


def test_a_wrong_password_is_403_and_audited(app, api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['01']}/eligibility",
                     {"password": "not my password", "overrides": ["IN4"], "reason": "x"})
    assert response.status_code == 403 and response.json == {
        "error": "The password is wrong: eligibility was not confirmed.", "status": 403}
    rows = audit_rows(app, action="signature_failed")
    assert [(r.entity, r.username, r.role, r.subject_key, r.site_code) for r in rows] == [
        ("eligibility_review", "investigator", "investigator", keys["01"], "01")]
    assert _get(api, tokens, f"/subjects/{keys['01']}/eligibility").json["review"] is None
    assert _post(api, tokens, f"/subjects/{keys['01']}/eligibility", {"password": ""}).status_code == 403
    assert len(audit_rows(app, action="signature_failed")) == 2


@pytest.mark.parametrize("overrides, reason, message", [
    (["IN4"], None, "Overriding a criterion requires a reason."),
    (["IN4", "IN5"], "   ", "Overriding a criterion requires a reason."),
    (["IN99"], "r", "Only failed or missing criteria can be overridden, not IN99."),
    (["IN4", "IN11"], "r", "Informed consent (IN11) cannot be overridden: record the missing consent or assent."),
])
def test_override_refusals_are_409(app, api, tokens, keys, overrides, reason, message):
    assert {"IN4", "IN5", "IN11"} <= set(_open_codes(app, keys["01"]))  # no screening data, no date of birth
    body = {"password": PASSWORD, "overrides": overrides, "reason": reason}
    response = _post(api, tokens, f"/subjects/{keys['01']}/eligibility", body)
    assert response.status_code == 409 and response.json["error"] == message
    assert _get(api, tokens, f"/subjects/{keys['01']}/eligibility").json["review"] is None


def test_a_met_criterion_cannot_be_overridden(app, api, tokens, keys):
    _demographics(app, keys["01"])
    criteria = _get(api, tokens, f"/subjects/{keys['01']}/eligibility").json["criteria"]
    met = next(c["code"] for c in criteria if c["status"] == "met")
    response = _post(api, tokens, f"/subjects/{keys['01']}/eligibility",
                     {"password": PASSWORD, "overrides": [met], "reason": "r"})
    assert response.status_code == 409 and met in response.json["error"]


# -- enrolment -----------------------------------------------------------------------------------------------------

def test_enrol_a_confirmed_subject(app, api, tokens, keys):
    _confirm(app, keys["01"])
    response = _post(api, tokens, f"/subjects/{keys['01']}/enrolment", {})
    assert response.status_code == 201, response.json
    assert response.json == {"subject_no": "01-001", "dose_level": 1, "cohort_seq": 1, "enrolled_on": _site_today(),
                             "status": "enrolled"}
    form = api.get(API + f"/subjects/{keys['01']}/events/SE.SUBJECT/forms/F.ENROL", token=tokens["monitor"]).json
    assert form["items"]["I.ENROL.DOSELEVEL"] == "1" and form["items"]["I.ENROL.COHSEQ"] == "1"
    again = _post(api, tokens, f"/subjects/{keys['01']}/enrolment", {})
    assert again.status_code == 409 and again.json["error"] == (
        "Only a subject in screening can be enrolled (this one is enrolled).")


def test_enrolment_needs_confirmed_eligibility(app, api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['01']}/enrolment", {})
    assert response.status_code == 409 and response.json["error"].startswith("Eligibility has not been confirmed")
    assert _state(app, keys["01"])["status"] == "screening"


def test_the_cohort_cap_refuses_the_next_enrolment(app, api, tokens, keys):
    protocol.configure(enrolment_cap=1)
    with _db(app) as session:
        second = new_subject(session, "01").key
    for key in (keys["01"], second):
        _confirm(app, key)
    assert _post(api, tokens, f"/subjects/{keys['01']}/enrolment", {}).status_code == 201
    for _ in range(2):  # the refused attempt's counter increment is rolled back
        refused = _post(api, tokens, f"/subjects/{second}/enrolment", {})
        assert refused.status_code == 409 and refused.json["error"] == (
            "The cohort is full: 1 of 1 participants are enrolled. This enrolment was refused.")
    assert _state(app, second) == {"status": "screening", "subject_no": None, "dose_level": None,
                                   "screen_fail_reason": None}


def test_a_stop_decision_stops_enrolment(app, api, tokens, keys):
    _confirm(app, keys["01"])
    stop = _post(api, tokens, "/dose-levels/decisions",
                 {"decision": "stop", "decided_on": "2026-11-20", "rationale": "two DLTs"}, who="data_manager")
    assert stop.status_code == 201 and stop.json["to_level"] is None and stop.json["from_level"] == 1
    assert _get(api, tokens, "/dose-levels").json["current_level"] is None
    refused = _post(api, tokens, f"/subjects/{keys['01']}/enrolment", {})
    assert refused.status_code == 409
    assert refused.json["error"] == "Enrolment is stopped by the safety review's decision."
    after = _post(api, tokens, "/dose-levels/decisions", {"decision": "escalate", "decided_on": "2026-11-21",
                                                          "rationale": "r"})
    assert after.status_code == 409 and "stopped" in after.json["error"]


def test_a_screen_failed_subject_cannot_be_confirmed_or_enrolled(app, api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['01']}/screen-failure", {"reason": " LVEF 45 % "},
                     who="coordinator")
    assert response.status_code == 201, response.json
    assert response.json == {"key": keys["01"], "status": "screen_failed", "screen_fail_reason": "LVEF 45 %"}
    confirm = _post(api, tokens, f"/subjects/{keys['01']}/eligibility", {"password": PASSWORD})
    assert confirm.status_code == 409 and "screen_failed" in confirm.json["error"]
    enrol = _post(api, tokens, f"/subjects/{keys['01']}/enrolment", {})
    assert enrol.status_code == 409 and enrol.json["error"] == (
        "Only a subject in screening can be enrolled (this one is screen_failed).")
    again = _post(api, tokens, f"/subjects/{keys['01']}/screen-failure", {"reason": "again"})
    assert again.status_code == 409 and again.json["error"] == "The subject is screen_failed, not in screening."


def test_a_screen_failure_needs_a_reason(app, api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['01']}/screen-failure", {"reason": "  "})
    assert response.status_code == 409 and response.json["error"] == "Give the reason for the screen failure."
    assert _state(app, keys["01"])["status"] == "screening"


# -- withdrawal of consent -----------------------------------------------------------------------------------------

def test_withdrawal_from_everything(app, api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['01']}/withdrawals",
                     {"scope": "ALL", "withdrawn_on": "2026-11-20", "note": " by phone "})
    assert response.status_code == 201, response.json
    assert response.json == {"scope": "ALL", "withdrawn_on": "2026-11-20", "note": "by phone",
                             "subject_status": "withdrawn"}
    assert _get(api, tokens, f"/subjects/{keys['01']}").json["status"] == "withdrawn"
    rows = audit_rows(app, entity="consent_withdrawal")
    assert [(r.action, r.username, r.subject_key) for r in rows] == [("create", "investigator", keys["01"])]


def test_withdrawal_from_treatment_only(app, api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['01']}/withdrawals",
                     {"scope": "TREATMENT", "withdrawn_on": "2026-11-20"})
    assert response.status_code == 201 and response.json["note"] is None
    assert response.json["subject_status"] == "screening"


# -- visits not done -----------------------------------------------------------------------------------------------

def test_mark_a_visit_not_done(app, api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['01']}/events/SE.D1/not-done", {"reason": " patient ill "},
                     who="coordinator")
    assert response.status_code == 201, response.json
    assert response.json == {"event_oid": "SE.D1", "repeat": 1, "state": "not_done", "not_done_reason": "patient ill"}
    events = _get(api, tokens, f"/subjects/{keys['01']}").json["events"]
    assert {"event_oid": "SE.D1", "state": "not_done", "not_done_reason": "patient ill"}.items() <= next(
        e for e in events if e["event_oid"] == "SE.D1").items()
    unscheduled = _post(api, tokens, f"/subjects/{keys['01']}/events/SE.UNSCHED/not-done",
                        {"reason": "cancelled", "repeat": 2})
    assert unscheduled.status_code == 201 and unscheduled.json["repeat"] == 2


@pytest.mark.parametrize("event, body, status, message", [
    ("SE.NOPE", {"reason": "x"}, 404, "No visit SE.NOPE."),
    ("SE.SUBJECT", {"reason": "x"}, 404, "No visit SE.SUBJECT."),
    ("SE.NOPE", "not an object", 404, "No visit SE.NOPE."),  # the visit is looked up before the body is read
    ("SE.D1", {"reason": "x", "repeat": 2}, 404, "Visit SE.D1 does not repeat."),
    ("SE.D1", {"reason": "   "}, 409, "Give the reason the visit was not done."),
    ("SE.D1", {"reason": "x", "repeat": 0}, 422, "repeat must be an integer from 1 to 2147483647."),
    ("SE.D1", {"reason": "x", "repeat": "1"}, 422, "repeat must be an integer from 1 to 2147483647."),
    ("SE.D1", {"reason": "x", "repeat": True}, 422, "repeat must be an integer from 1 to 2147483647."),
    ("SE.D1", {"reason": "x", "repeat": 2**31}, 422, "repeat must be an integer from 1 to 2147483647."),
    ("SE.D1", {"reason": "x" * 501}, 422, "reason must have at most 500 characters."),
    ("SE.D1", {"repeat": 1}, 422, "reason is required."),
])
def test_not_done_refusals(api, tokens, keys, event, body, status, message):
    response = _post(api, tokens, f"/subjects/{keys['01']}/events/{event}/not-done", body, who="coordinator")
    assert (response.status_code, response.json["error"]) == (status, message)


def test_a_visit_with_data_cannot_be_marked_not_done(app, api, tokens, keys):
    with _db(app) as session:
        save(session, _subject(session, keys["01"]), "F.VS", vs_values())
    response = _post(api, tokens, f"/subjects/{keys['01']}/events/SE.SCREENING/not-done", {"reason": "x"})
    assert response.status_code == 409 and response.json["error"] == (
        "Data was entered at this visit; it cannot be marked not done.")


# -- dose levels ---------------------------------------------------------------------------------------------------

def test_dose_levels_start_at_one_without_decisions(api, tokens):
    assert _get(api, tokens, "/dose-levels", who="sponsor").json == {"current_level": 1, "decisions": []}


def test_decisions_move_the_level_within_one_to_three(api, tokens):
    def decide(decision, day, who="investigator"):
        return _post(api, tokens, "/dose-levels/decisions",
                     {"decision": decision, "decided_on": day, "rationale": f"SRC {day}"}, who=who)

    assert decide("escalate", "2026-11-01").status_code == 201
    second = decide("escalate", "2026-11-15", who="data_manager")
    assert second.status_code == 201
    assert {k: second.json[k] for k in ("decided_on", "decision", "from_level", "to_level", "rationale",
                                        "recorded_by")} == {
        "decided_on": "2026-11-15", "decision": "escalate", "from_level": 2, "to_level": 3,
        "rationale": "SRC 2026-11-15", "recorded_by": "data_manager"}
    refused = decide("escalate", "2026-11-20")
    assert refused.status_code == 409 and refused.json["error"] == "There is no dose level 4 (levels 1 to 3)."
    assert decide("de_escalate", "2026-11-21").json["to_level"] == 2
    listed = _get(api, tokens, "/dose-levels").json
    assert listed["current_level"] == 2
    assert [(d["decision"], d["from_level"], d["to_level"]) for d in listed["decisions"]] == [
        ("escalate", 1, 2), ("escalate", 2, 3), ("de_escalate", 3, 2)]
    empty = _post(api, tokens, "/dose-levels/decisions", {"decision": "stay", "decided_on": "2026-11-22",
                                                          "rationale": " "})
    assert empty.status_code == 409 and empty.json["error"] == "Record the rationale of the decision."


def test_an_enrolment_gets_the_current_level(app, api, tokens, keys):
    _post(api, tokens, "/dose-levels/decisions", {"decision": "escalate", "decided_on": "2026-11-01",
                                                  "rationale": "SRC"})
    _confirm(app, keys["01"])
    response = _post(api, tokens, f"/subjects/{keys['01']}/enrolment", {})
    assert response.status_code == 201 and (response.json["dose_level"], response.json["cohort_seq"]) == (2, 1)


# -- ICF versions --------------------------------------------------------------------------------------------------

def test_register_and_list_icf_versions(app, api, tokens, keys):  # keys: consented subjects, ICF 2.0 registered
    before = _get(api, tokens, "/icf-versions").json["versions"]
    assert {(v["version"], v["population"]) for v in before} == {("2.0", p) for p in ("ADULT", "GUARDIAN", "ASSENT")}
    response = _post(api, tokens, "/icf-versions", {"version": " 3.0 ", "population": "ADULT",
                                                    "approved_on": "2026-10-01"}, who="data_manager")
    assert response.status_code == 201, response.json
    assert {k: response.json[k] for k in ("version", "population", "approved_on")} == {
        "version": "3.0", "population": "ADULT", "approved_on": "2026-10-01"}
    after = _get(api, tokens, "/icf-versions", who="sponsor").json["versions"]
    assert [v["version"] for v in after if v["population"] == "ADULT"] == ["2.0", "3.0"]
    again = _post(api, tokens, "/icf-versions", {"version": "3.0", "population": "ADULT", "approved_on": "2026-10-02"})
    assert again.status_code == 409 and again.json["error"] == "ICF version 3.0 (adult) is already registered."
    assert [r.entity_key for r in audit_rows(app, entity="icf_version", username="data_manager")] == ["ICF ADULT v3.0"]


@pytest.mark.parametrize("version", ["", "   ", "x" * 41])
def test_an_icf_version_needs_one_to_forty_characters(api, tokens, version):
    response = _post(api, tokens, "/icf-versions", {"version": version, "population": "ASSENT",
                                                    "approved_on": "2026-10-01"})
    assert response.status_code == 409 and response.json["error"] == "Give the ICF version (1-40 characters)."


# -- malformed bodies ----------------------------------------------------------------------------------------------

WITHDRAWAL = {"scope": "ALL", "withdrawn_on": "2026-11-20"}
DECISION = {"decision": "stay", "decided_on": "2026-11-20", "rationale": "SRC"}
ICF = {"version": "9.0", "population": "ADULT", "approved_on": "2026-11-20"}


@pytest.mark.parametrize("path, body, message", [
    ("/subjects/{key}/eligibility", {}, "password is required."),
    ("/subjects/{key}/eligibility", {"password": 7}, "password must be a string."),
    ("/subjects/{key}/eligibility", {"password": PASSWORD, "overrides": "IN1"},
     "overrides must be a list of criterion codes."),
    ("/subjects/{key}/eligibility", {"password": PASSWORD, "overrides": [1]}, "Each of overrides must be a string."),
    ("/subjects/{key}/eligibility", {"password": PASSWORD, "reason": ["r"]}, "reason must be a string."),
    ("/subjects/{key}/eligibility", {"password": PASSWORD, "signature": "x"}, "Unknown fields in the body: signature."),
    ("/subjects/{key}/enrolment", None, "The body is not valid JSON."),
    ("/subjects/{key}/enrolment", [], "The body must be a JSON object {}."),
    ("/subjects/{key}/enrolment", {"dose_level": 3}, "Unknown fields in the body: dose_level."),
    ("/subjects/{key}/screen-failure", {"reason": None}, "reason is required."),
    ("/subjects/{key}/screen-failure", {"reason": "a\x00b"}, "reason contains a NUL character."),
    ("/subjects/{key}/screen-failure", {"reason": "x" * 501}, "reason must have at most 500 characters."),
    ("/subjects/{key}/withdrawals", {**WITHDRAWAL, "scope": "all"}, "scope must be one of ALL, TREATMENT."),
    ("/subjects/{key}/withdrawals", {**WITHDRAWAL, "withdrawn_on": "20261120"},
     "withdrawn_on must be a date, YYYY-MM-DD."),
    ("/subjects/{key}/withdrawals", {**WITHDRAWAL, "withdrawn_on": "2026-02-30"},
     "withdrawn_on must be a date, YYYY-MM-DD."),
    ("/subjects/{key}/withdrawals", {**WITHDRAWAL, "withdrawn_on": "2026-11-20T10:00"},
     "withdrawn_on must be a date, YYYY-MM-DD."),
    ("/subjects/{key}/withdrawals", {**WITHDRAWAL, "withdrawn_on": "２０２６-11-20"},
     "withdrawn_on must be a date, YYYY-MM-DD."),
    ("/subjects/{key}/withdrawals", {**WITHDRAWAL, "note": "x" * 1001}, "note must have at most 1000 characters."),
    ("/subjects/{key}/withdrawals", {"scope": "ALL"}, "withdrawn_on is required."),
    ("/dose-levels/decisions", {**DECISION, "decision": "hold"},
     "decision must be one of escalate, stay, de_escalate, stop."),
    ("/dose-levels/decisions", {**DECISION, "decided_on": 20261120}, "decided_on must be a string."),
    ("/dose-levels/decisions", {**DECISION, "rationale": "x" * 4001}, "rationale must have at most 4000 characters."),
    ("/icf-versions", {**ICF, "population": "CHILD"}, "population must be one of ADULT, GUARDIAN, ASSENT."),
    ("/icf-versions", {**ICF, "approved_on": "2026-W47-4"}, "approved_on must be a date, YYYY-MM-DD."),
    ("/icf-versions", {**ICF, "version": "1\x00"}, "version contains a NUL character."),
])
def test_refused_bodies_answer_with_a_message(app, api, tokens, keys, path, body, message):
    """No JSON object: 400. A field its model refuses: 422, the message also under errors[field]."""
    who = "data_manager" if path.startswith(("/dose", "/icf")) else "investigator"
    before = len(audit_rows(app))
    data = "" if body is None else json.dumps(body)
    response = api.request("POST", API + path.format(key=keys["01"]), token=tokens[who], data=data,
                           content_type="application/json")
    status = 422 if isinstance(body, dict) else 400
    assert (response.status_code, response.json["error"]) == (status, message), response.json
    if status == 422:
        unknown = set(body) - set(FIELDS)  # FIELDS: every field some trial body has
        assert response.json.get("unknown_fields", []) == sorted(unknown)
        assert message in response.json["errors"].values() or unknown <= set(response.json["errors"])
    assert len(audit_rows(app)) == before


def test_a_lone_surrogate_is_422_not_a_server_error(api, tokens, keys):
    data = '{"scope": "ALL", "withdrawn_on": "2026-11-20", "note": "\\ud800"}'
    response = api.request("POST", API + f"/subjects/{keys['01']}/withdrawals", token=tokens["investigator"],
                           data=data, content_type="application/json")
    assert response.status_code == 422 and response.json["errors"] == {"note": "note is not valid Unicode text."}


# -- roles and sites -----------------------------------------------------------------------------------------------

def _request(app, endpoint, key):
    """(method, path, body) of a call that succeeds for a role the endpoint admits."""
    subject = f"/subjects/{key}"
    if endpoint == "api.confirm_eligibility":
        _demographics(app, key)
        return "POST", subject + "/eligibility", {"password": PASSWORD, "overrides": _open_codes(app, key),
                                                  "reason": "source documents checked", "despite_missing": True}
    if endpoint == "api.enrol":
        _confirm(app, key)
    return {
        "api.eligibility": ("GET", subject + "/eligibility", None),
        "api.enrol": ("POST", subject + "/enrolment", {}),
        "api.screen_failure": ("POST", subject + "/screen-failure", {"reason": "LVEF 45 %"}),
        "api.withdraw_consent": ("POST", subject + "/withdrawals", WITHDRAWAL),
        "api.mark_not_done": ("POST", subject + "/events/SE.D1/not-done", {"reason": "ill"}),
        "api.dose_levels": ("GET", "/dose-levels", None),
        "api.record_dose_decision": ("POST", "/dose-levels/decisions", DECISION),
        "api.icf_versions": ("GET", "/icf-versions", None),
        "api.register_icf_version": ("POST", "/icf-versions", ICF),
    }[endpoint]


def test_the_api_grants_what_the_web_grants():
    assert set(TRIAL) <= set(API_MATRIX)
    for endpoint, web in TRIAL.items():
        assert API_MATRIX[endpoint] == IN_VIEW.get(endpoint, MATRIX[web]), endpoint
        assert API_MATRIX[endpoint] <= MATRIX[web] and "admin" not in API_MATRIX[endpoint]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", TRIAL)
def test_role_matrix(app, api, tokens, keys, endpoint, role):
    method, path, body = _request(app, endpoint, keys["01"])
    before, trail = _state(app, keys["01"]), len(audit_rows(app))
    response = api.request(method, API + path, token=tokens[role], json=body)
    assert response.is_json
    if role in API_MATRIX[endpoint]:
        assert response.status_code == (200 if method == "GET" else 201), (endpoint, role, response.json)
    else:
        assert response.status_code == 403, (endpoint, role, response.json)
        assert response.json["error"] == f"The role {role} may not use this operation."
        assert _state(app, keys["01"]) == before and len(audit_rows(app)) == trail  # nothing written
    assert role != "admin" or response.status_code == 403


@pytest.mark.parametrize("endpoint", TRIAL)
def test_a_token_is_required(api, keys, endpoint):
    method, path = OPERATIONS[endpoint]
    response = api.request(method, path.format(subject=keys["01"], event_oid="SE.D1"), json={})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("endpoint", SUBJECT_ENDPOINTS)
def test_another_sites_subject_is_403_and_an_unknown_one_404(app, api, tokens, keys, endpoint):
    method, path, body = _request(app, endpoint, keys["02"])
    assert API_MATRIX[endpoint] >= {"investigator"}
    before, trail = _state(app, keys["02"]), len(audit_rows(app))
    for data in (body, ["not", "the", "body"]):  # the site is checked before the body is read
        response = api.request(method, API + path, token=tokens["investigator"], json=data)
        assert response.status_code == 403 and response.json["status"] == 403, response.json
    assert _state(app, keys["02"]) == before and len(audit_rows(app)) == trail  # not even a failed signature
    unknown = api.request(method, API + path.replace(keys["02"], "01-S999"), token=tokens["investigator"], json=body)
    assert unknown.status_code == 404 and unknown.is_json


def test_a_user_of_the_other_site_acts_on_its_subjects(app, api, tokens, keys):
    response = _post(api, tokens, f"/subjects/{keys['02']}/screen-failure", {"reason": "LVEF"}, who="coordinator2")
    assert response.status_code == 201 and _state(app, keys["02"])["status"] == "screen_failed"
    assert _post(api, tokens, f"/subjects/{keys['01']}/screen-failure", {"reason": "LVEF"},
                 who="coordinator2").status_code == 403


# -- the OpenAPI document, and fuzzing every trial route it describes ----------------------------------------------

def test_the_document_describes_the_trial_routes():
    assert {e: OPERATIONS[e] for e in TRIAL} == {e: (m, API + p) for e, (m, p) in EXPECTED.items()}
    schemas = DOC["components"]["schemas"]
    for endpoint in TRIAL:
        method, path = OPERATIONS[endpoint]
        op = DOC["paths"][path][method.lower()]
        ok = "200" if method == "GET" else "201"
        assert ok in op["responses"] and {"401", "403"} <= set(op["responses"]), endpoint
        if method == "POST":
            assert "200" not in op["responses"] and "400" in op["responses"]
            name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert schemas[name]["additionalProperties"] is False
        if "{subject}" in path:
            assert "404" in op["responses"]


scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=8)
DATES = st.sampled_from(["2026-11-20", "2026-02-30", "20261120", "0001-01-01", "9999-12-31", "2026-W47-4", ""])
#: plausible values per body field, so that the fuzz also reaches the services, not only the parser
FIELDS = {
    "password": st.sampled_from([PASSWORD, "", "wrong"]), "reason": st.text(max_size=600),
    "overrides": st.lists(st.sampled_from(["IN1", "IN4", "IN11", "EX", "IN99"]) | st.text(max_size=5), max_size=30),
    "scope": st.sampled_from(["ALL", "TREATMENT", "all"]), "withdrawn_on": DATES, "decided_on": DATES,
    "approved_on": DATES, "note": st.text(max_size=1100), "repeat": st.integers(-1, 3) | st.integers(-2, 2**40),
    "decision": st.sampled_from(["escalate", "stay", "de_escalate", "stop", "hold"]),
    "rationale": st.text(max_size=50), "version": st.text(max_size=45),
    "population": st.sampled_from(["ADULT", "GUARDIAN", "ASSENT", "CHILD"]),
    "code": st.sampled_from(["", "123456", "abcde-fghij"]) | st.none(),
    "despite_missing": st.booleans(),
}


def _weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, picked in proportion to its weight."""
    return st.sampled_from([strategy for weight, strategy in choices for _ in range(weight)]).flatmap(lambda x: x)


def _plausible(field):
    """Mostly a value of the right kind (so that the fuzz reaches the services), sometimes any JSON."""
    return _weighted((4, FIELDS[field]), (1, json_values))


def _bodies(endpoint):
    """Bodies for the operation, from its request schema in the OpenAPI document."""
    method, path = OPERATIONS[endpoint]
    op = DOC["paths"][path][method.lower()]
    if "requestBody" not in op:
        return st.none()
    name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = DOC["components"]["schemas"][name].get("properties", {})
    complete = st.fixed_dictionaries({f: _plausible(f) for f in fields})
    partial = st.fixed_dictionaries({}, optional={**{f: _plausible(f) for f in fields}, "extra": json_values})
    return _weighted((6, complete.map(json.dumps)), (2, partial.map(json.dumps)), (1, json_values.map(json.dumps)),
                     (1, st.binary(max_size=100)))


def _segment(valid: list[str]):
    junk = st.text(min_size=1, max_size=50)
    return _weighted((5, st.sampled_from(valid)), (1, junk)).map(lambda s: quote(s, safe=""))


@pytest.mark.parametrize("endpoint", EXPECTED)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_request_is_answered_with_a_server_error(app, api, tokens, keys, endpoint, data):
    app.config["API_AUTH_FAILURES_PER_MINUTE"] = 10**6
    if endpoint == "api.enrol" and "fuzz_confirmed" not in app.config:  # once per app: let an enrolment succeed
        app.config["fuzz_confirmed"] = _confirm(app, keys["01"])
    method, path = OPERATIONS[endpoint]
    url = path.format(subject=data.draw(_segment([keys["01"], keys["01"], keys["01"], keys["02"], "NOPE"]),
                                        label="subject"),
                      event_oid=data.draw(_segment(["SE.D1", "SE.UNSCHED", "SE.SUBJECT", "SE.SCREENING"]),
                                          label="event_oid"))
    token = data.draw(_weighted((4, st.sampled_from(sorted(API_MATRIX[endpoint]))),
                                (1, st.sampled_from(["coordinator2", "monitor", "admin", "anonymous", "expired"]))),
                      label="who")
    body = data.draw(_bodies(endpoint), label="body")
    response = api.request(method, url, token=tokens[token], data=body, content_type="application/json")
    assert response.status_code < 500, (url, body, response.get_data(as_text=True)[:300])
    assert response.is_json, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.json["status"] == response.status_code and response.json["error"]


def test_a_null_note_is_no_note(app, api, tokens, keys):
    """A nullable text with a length limit once answered null with a 500: the limit applies to text only."""
    response = _post(api, tokens, f"/subjects/{keys['01']}/withdrawals", {**WITHDRAWAL, "note": None})
    assert response.status_code == 201, response.json
    assert response.json["note"] is None
    long = _post(api, tokens, f"/subjects/{keys['01']}/withdrawals", {**WITHDRAWAL, "note": "x" * 1001})
    assert long.status_code == 422 and long.json["errors"] == {"note": "note must have at most 1000 characters."}
