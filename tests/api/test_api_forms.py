"""Reading and writing a form through the API: same rules, messages and refusals as the web form."""
from __future__ import annotations

import pytest
from api_helpers import API, VS_API, audit_rows
from helpers import vs_values
from sqlalchemy import select


def _vs(app, key):
    """The stored F.VS values of subject ``key`` at screening (None when never saved)."""
    from ecrf.capture.models import FormData, StudyEventData
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        form = db.session.scalar(select(FormData).join(FormData.event).join(Subject).where(
            Subject.key == key, StudyEventData.event_oid == "SE.SCREENING", FormData.form_oid == "F.VS"))
        return None if form is None else form.values


def _put(api, tokens, key, items, version=0, who="coordinator", **extra):
    return api.put(VS_API.format(key=key), {"version": version, "items": items, **extra}, token=tokens[who])


def test_a_form_never_saved(api, tokens, keys):
    response = api.get(VS_API.format(key=keys["01"]), token=tokens["monitor"])
    assert response.status_code == 200
    required = ["I.VS.DTC", "I.VS.TEMP", "I.VS.SYSBP", "I.VS.DIABP", "I.VS.HR", "I.VS.SPO2"]
    assert response.json == {"status": "not_started", "version": 0, "locked": False, "lock_state": "open",
                             "items": {}, "missing": {}, "missing_items": required, "warnings": []}


def test_save_then_read_back(app, api, tokens, keys):
    response = _put(api, tokens, keys["01"], vs_values())
    assert response.status_code == 200, response.json
    assert response.json["status"] == "complete" and response.json["version"] == 1
    assert response.json["items"]["I.VS.DTC"] == "2026-11-20T01:15:00Z"  # site-local time (Shanghai) kept in UTC
    assert api.get(VS_API.format(key=keys["01"]), token=tokens["sponsor"]).json == response.json
    assert _vs(app, keys["01"])["I.VS.SPO2"] == "98"
    rows = audit_rows(app, item_oid="I.VS.SPO2")
    assert [(r.username, r.role, r.action, r.new_value) for r in rows] == [("coordinator", "coordinator", "create",
                                                                            "98")]


def test_an_item_left_out_is_cleared_as_on_the_web_form(app, api, tokens, keys):
    _put(api, tokens, keys["01"], vs_values(**{"I.VS.DTC": ""}))
    items = vs_values()
    del items["I.VS.HR"]
    response = _put(api, tokens, keys["01"], items, version=1)
    assert response.status_code == 200
    assert response.json["items"]["I.VS.HR"] is None and response.json["version"] == 2


def test_json_numbers_and_nulls_are_accepted(api, tokens, keys):
    items = vs_values(**{"I.VS.TEMP": 36.8, "I.VS.HR": 72, "I.VS.SPO2": 98, "I.VS.RESP": None})
    response = _put(api, tokens, keys["01"], items)
    assert response.status_code == 200
    assert response.json["items"]["I.VS.TEMP"] == "36.8" and response.json["items"]["I.VS.HR"] == "72"
    assert "I.VS.RESP" not in response.json["items"]  # an empty value is not stored


def test_stale_version_is_409_and_nothing_is_overwritten(app, api, tokens, keys):
    assert _put(api, tokens, keys["01"], vs_values(**{"I.VS.HR": "70"})).status_code == 200
    response = _put(api, tokens, keys["01"], vs_values(**{"I.VS.HR": "90"}), who="investigator")
    assert response.status_code == 409
    assert response.json["current_version"] == 1 and "changed by someone else" in response.json["error"]
    assert _vs(app, keys["01"])["I.VS.HR"] == "70"
    assert _put(api, tokens, keys["01"], vs_values(), version=7).status_code == 409


def test_invalid_values_are_422_per_item_and_nothing_is_stored(app, api, tokens, keys):
    seq = len(audit_rows(app))
    response = _put(api, tokens, keys["01"], vs_values(**{"I.VS.SPO2": "140", "I.VS.HR": "seventy",
                                                           "I.VS.DTC": "2099-01-01T10:00"}))
    assert response.status_code == 422
    errors = response.json["errors"]
    assert errors["I.VS.SPO2"] == "140 is outside the allowed range 50–100 %."
    assert errors["I.VS.HR"] == "Enter a whole number."
    assert "in the future" in errors["I.VS.DTC"]
    assert set(errors) == {"I.VS.SPO2", "I.VS.HR", "I.VS.DTC"}
    assert response.json["status"] == 422 and response.json["error"]
    assert _vs(app, keys["01"]) is None
    assert len(audit_rows(app)) == seq


def test_a_list_or_object_value_is_422(app, api, tokens, keys):
    response = _put(api, tokens, keys["01"], vs_values(**{"I.VS.HR": [72], "I.VS.TEMP": {"v": 1}}))
    assert response.status_code == 422 and set(response.json["errors"]) == {"I.VS.HR", "I.VS.TEMP"}
    assert _vs(app, keys["01"]) is None


@pytest.mark.parametrize("reason, stored, words", [
    ("TRANSCRIPTION", '{"code":"TRANSCRIPTION"}', "Transcription error"),
    ("typo in the source transcription", '{"code":"OTHER","note":"typo in the source transcription"}',
     "Other (explain): typo in the source transcription"),
    ({"code": "QUERY", "note": "Q-12"}, '{"code":"QUERY","note":"Q-12"}', "Query response: Q-12"),
    ({"code": "LATE_RESULT"}, '{"code":"LATE_RESULT"}', "Late result received"),
])
def test_a_change_after_completion_needs_a_reason(app, api, tokens, keys, reason, stored, words):
    _put(api, tokens, keys["01"], vs_values())
    refused = _put(api, tokens, keys["01"], vs_values(**{"I.VS.HR": "88"}), version=1)
    assert refused.status_code == 422 and "reason for change is required" in refused.json["errors"]["reason"]
    response = _put(api, tokens, keys["01"], vs_values(**{"I.VS.HR": "88"}), version=1, reason=reason)
    assert response.status_code == 200, response.json
    assert [r.reason for r in audit_rows(app, item_oid="I.VS.HR", action="update")] == [stored]
    trail = api.get(f"/api/v1/subjects/{keys['01']}/audit", token=tokens["coordinator"]).json["records"]
    assert [r["reason"] for r in trail if r["item_oid"] == "I.VS.HR" and r["action"] == "update"] == [words]


@pytest.mark.parametrize("reason, message", [
    ("OTHER", "Explain the reason for change."),
    ({"code": "NOPE"}, "Choose a reason from the list."),
    ({"code": "OTHER", "note": "x" * 1001}, "The explanation is too long (at most 1000 characters)."),
    ({"code": "OTHER", "note": "bad\x00byte"}, "The explanation contains a control character."),
])
def test_unacceptable_reasons_are_422(api, tokens, keys, reason, message):
    _put(api, tokens, keys["01"], vs_values())
    response = _put(api, tokens, keys["01"], vs_values(**{"I.VS.HR": "88"}), version=1, reason=reason)
    assert response.status_code == 422 and response.json["errors"]["reason"] == message


def test_a_locked_form_is_423(app, api, tokens, keys):
    from ecrf.auth.models import User
    from ecrf.capture import locks
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    _put(api, tokens, keys["01"], vs_values())
    with app.app_context():
        manager = db.session.scalar(select(User).where(User.username == "data_manager"))
        subject = db.session.scalar(select(Subject).where(Subject.key == keys["01"]))
        locks.close(db.session, manager, scope="form", level="locked", reason="database lock", subject=subject,
                    event_oid="SE.SCREENING", form_oid="F.VS")
        db.session.commit()
    read = api.get(VS_API.format(key=keys["01"]), token=tokens["monitor"]).json
    assert read["locked"] is True and read["lock_state"] == "locked"
    response = _put(api, tokens, keys["01"], vs_values(**{"I.VS.HR": "99"}), version=1, reason="TRANSCRIPTION")
    assert response.status_code == 423 and "locked" in response.json["error"]
    assert _vs(app, keys["01"])["I.VS.HR"] == "72"


@pytest.mark.parametrize("body", [
    "not json",
    "[1, 2]",
    '{"version": NaN, "items": {}}',
    '{"version": 0, "items": {}' + "]" * 10,
    "[" * 100_000 + "]" * 100_000,
])
def test_a_body_that_is_no_json_object_is_400(app, api, tokens, keys, body):
    response = api.put(VS_API.format(key=keys["01"]), token=tokens["coordinator"], data=body,
                       content_type="application/json")
    assert response.status_code == 400 and response.json["status"] == 400 and response.json["error"]
    assert _vs(app, keys["01"]) is None


@pytest.mark.parametrize("body, field", [
    ('{"version": 0, "items": [1]}', "items"),
    ('{"version": "0", "items": {}}', "version"),
    ('{"version": true, "items": {}}', "version"),
    ('{"version": 0.5, "items": {}}', "version"),
    ('{"items": {}}', "version"),
    ('{"version": 0}', "items"),
    ('{"version": 0, "items": {}, "reason": 5}', "reason"),
    ('{"version": 0, "items": {}, "reason": {"code": 1}}', "reason"),
    ('{"version": 0, "items": {}, "comment": "x"}', "comment"),
])
def test_a_field_the_body_model_refuses_is_422(app, api, tokens, keys, body, field):
    response = api.put(VS_API.format(key=keys["01"]), token=tokens["coordinator"], data=body,
                       content_type="application/json")
    assert response.status_code == 422 and response.json["status"] == 422
    assert field in response.json["error"] and field in response.json["errors"]
    assert _vs(app, keys["01"]) is None


def test_unknown_item_oids_are_listed(app, api, tokens, keys):
    response = _put(api, tokens, keys["01"], {**vs_values(), "I.VS.NOPE": "1", "I.DM.SEX": "F"})
    assert response.status_code == 400 and response.json["unknown_items"] == ["I.DM.SEX", "I.VS.NOPE"]
    assert _vs(app, keys["01"]) is None


@pytest.mark.parametrize("path, status", [
    ("/subjects/NOPE/events/SE.SCREENING/forms/F.VS", 404),
    ("/subjects/{key}/events/SE.NOPE/forms/F.VS", 404),
    ("/subjects/{key}/events/SE.SCREENING/forms/F.NOPE", 404),
    ("/subjects/{key}/events/SE.SCREENING/forms/F.INF", 404),
    ("/subjects/{key}/events/SE.SCREENING/forms/F.VS?repeat=2", 404),
    ("/subjects/{key}/events/SE.SCREENING/forms/F.VS?event_repeat=2", 404),
    ("/subjects/{key}/events/SE.SCREENING/forms/F.VS?repeat=0", 404),
    ("/subjects/{key}/events/SE.UNSCHED/forms/F.VS?event_repeat=99999999999", 404),
    ("/subjects/{key}/events/SE.SCREENING/forms/F.VS?repeat=abc", 400),
])
@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_unknown_subjects_events_forms_and_repeats(api, tokens, keys, path, status, method):
    body = {"version": 0, "items": vs_values()} if method == "PUT" else None
    response = api.request(method, API + path.format(key=keys["01"]), token=tokens["coordinator"], json=body)
    assert response.status_code == status and response.json["status"] == status


def test_repeating_events_are_reachable(api, tokens, keys):
    url = API + f"/subjects/{keys['01']}/events/SE.UNSCHED/forms/F.VS?event_repeat=3"
    assert api.get(url, token=tokens["coordinator"]).json["status"] == "not_started"


def test_another_sites_subject_is_403_and_untouched(app, api, tokens, keys):
    other = keys["02"]
    for url in (f"/subjects/{other}", VS_API.removeprefix(API).format(key=other), f"/subjects/{other}/audit"):
        response = api.get(API + url, token=tokens["coordinator"])
        assert response.status_code == 403 and other not in response.get_data(as_text=True)
    assert _put(api, tokens, other, vs_values()).status_code == 403
    assert _vs(app, other) is None
    assert _put(api, tokens, other, vs_values(), who="coordinator2").status_code == 200


def test_a_concurrent_first_save_is_a_conflict_not_an_error(app, api, tokens, keys, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from ecrf.capture import services

    def racing(*args, **kwargs):
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(services, "save_form", racing)
    response = _put(api, tokens, keys["01"], vs_values())
    assert response.status_code == 409 and response.json["current_version"] == 0
