"""Freeze and lock through the web page and the JSON API: who may, bad input, enforcement (423), the grid."""
from __future__ import annotations

import pytest
from helpers import VS_URL, new_subject, tokens_for_everyone, vs_values
from sqlalchemy import select

ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")
API = "/api/v1"


@pytest.fixture
def key(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        out = new_subject(db.session).key
        db.session.remove()
    return out


@pytest.fixture
def tokens(app, world):
    """A token for every user, by username."""
    return tokens_for_everyone(app)


def _api(app, method, path, token, body=None):
    return app.test_client().open(API + path, method=method, json=body,
                                  headers={"Authorization": f"Bearer {token}"})


def _lock_rows(app):
    from ecrf.capture.lock_models import DataLock
    from ecrf.infra.extensions import db

    with app.app_context():
        rows = [(r.scope, r.level, r.active) for r in db.session.scalars(select(DataLock).order_by(DataLock.id))]
        db.session.remove()
    return rows


def _hr(app, key):
    from ecrf.capture.models import FormData, ItemData, StudyEventData
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        value = db.session.scalar(select(ItemData.value).join(ItemData.form).join(FormData.event)
                                  .join(StudyEventData.subject).where(Subject.key == key,
                                                                      ItemData.item_oid == "I.VS.HR"))
        db.session.remove()
    return value


FORM_LOCK = {"scope": "form", "level": "locked", "event_oid": "SE.SCREENING", "form_oid": "F.VS",
             "reason": "database lock"}


# -- web -------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_web_only_a_data_manager_locks(app, as_role, key, role):
    browser = as_role(role)
    page = browser.get(f"/locks?subject={key}")
    assert page.status_code == (403 if role == "admin" else 200)
    response = browser.post("/locks", {**FORM_LOCK, "subject": key})
    if role == "data_manager":
        assert response.status_code == 302
        assert _lock_rows(app) == [("form", "locked", True)]
        assert 'name="reason"' in page.get_data(as_text=True)
    else:
        assert response.status_code == 403 and _lock_rows(app) == []
        if role != "admin":
            assert 'data-testid="lock-form"' not in page.get_data(as_text=True)


def test_web_lock_blocks_saving_shows_a_banner_and_a_grid_cell_and_undo_reopens(app, as_role, key):
    coordinator, manager = as_role("coordinator"), as_role("data_manager")
    assert coordinator.post(VS_URL.format(key=key), {**vs_values(), "version": "0"}).status_code == 302
    assert manager.post("/locks", {**FORM_LOCK, "subject": key}).status_code == 302
    form = coordinator.get(VS_URL.format(key=key)).get_data(as_text=True)
    assert 'data-testid="lock-banner"' in form and "database lock" in form
    assert 'data-testid="form-status">locked<' in form
    refused = coordinator.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.HR": "99"}), "version": "1",
                                                        "reason_code": "TRANSCRIPTION"})
    assert refused.status_code == 423 and "This form is locked" in refused.get_data(as_text=True)
    assert _hr(app, key) == "72"
    grid = coordinator.get(f"/subjects/{key}").get_data(as_text=True)
    assert 'class="cell-locked" data-testid="cell-SE.SCREENING-F.VS"' in grid

    missing = manager.post("/locks/1/undo", {"undo_reason": ""})
    assert missing.status_code == 422 and _lock_rows(app) == [("form", "locked", True)]
    assert manager.post("/locks/1/undo", {"undo_reason": "reopened for a correction"}).status_code == 302
    assert _lock_rows(app) == [("form", "locked", False)]
    listing = manager.get("/locks").get_data(as_text=True)
    assert "reopened for a correction" in listing
    saved = coordinator.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.HR": "99"}), "version": "1",
                                                      "reason_code": "TRANSCRIPTION"})
    assert saved.status_code == 302 and _hr(app, key) == "99"


def test_web_freeze_of_the_casebook_shows_frozen_cells(app, as_role, key):
    coordinator, manager = as_role("coordinator"), as_role("data_manager")
    coordinator.post(VS_URL.format(key=key), {**vs_values(), "version": "0"})
    assert manager.post("/locks", {"scope": "subject", "level": "frozen", "subject": key,
                                   "reason": "interim review"}).status_code == 302
    grid = coordinator.get(f"/subjects/{key}").get_data(as_text=True)
    assert 'class="cell-frozen" data-testid="cell-SE.SCREENING-F.VS"' in grid
    assert 'class="cell-frozen" data-testid="cell-SE.SUBJECT-F.IC"' in grid


@pytest.mark.parametrize("data, field", [
    ({"reason": ""}, "reason"), ({"scope": ""}, "scope"), ({"level": "x"}, "level"),
    ({"event_oid": "SE.NOPE"}, "event_oid"), ({"form_oid": "F.NOPE"}, "form_oid"),
])
def test_web_bad_input_is_422_and_changes_nothing(app, as_role, key, data, field):
    response = as_role("data_manager").post("/locks", {**FORM_LOCK, "subject": key, **data})
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)
    assert _lock_rows(app) == []


def test_web_visit_not_done_under_a_lock_is_refused(app, as_role, key):
    as_role("data_manager").post("/locks", {"scope": "subject", "level": "locked", "subject": key, "reason": "x"})
    browser = as_role("coordinator")
    browser.post(f"/subjects/{key}/events/SE.D1/not-done", {"reason": "ill"})
    page = browser.get(f"/subjects/{key}").get_data(as_text=True)
    assert "This visit is locked" in page


# -- API -------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ("investigator", "coordinator", "monitor", "data_manager", "sponsor"))
def test_api_only_a_data_manager_locks_and_undoes(app, tokens, key, role):
    body = {**FORM_LOCK, "subject": key}
    created = _api(app, "POST", "/locks", tokens[role], body)
    assert _api(app, "GET", "/locks", tokens[role]).status_code == 200
    if role == "data_manager":
        assert created.status_code == 201, created.json
        assert created.json["target"] == f"{key}/SE.SCREENING[1]/F.VS[1]" and created.json["active"] is True
        undone = _api(app, "POST", f"/locks/{created.json['id']}/undo", tokens[role], {"reason": "reopened"})
        assert undone.status_code == 200 and undone.json["active"] is False
        assert undone.json["undo_reason"] == "reopened" and undone.json["undone_by"] == "data_manager"
    else:
        assert created.status_code == 403 and _lock_rows(app) == []
        made = _api(app, "POST", "/locks", tokens["data_manager"], body).json
        refused = _api(app, "POST", f"/locks/{made['id']}/undo", tokens[role], {"reason": "reopened"})
        assert refused.status_code == 403 and _lock_rows(app) == [("form", "locked", True)]
    assert _api(app, "GET", "/locks", tokens["admin"]).status_code == 403


def test_api_save_is_423_under_an_up_to_lock_and_month_9_goes_on(app, tokens, key):
    made = _api(app, "POST", "/locks", tokens["data_manager"],
                {"scope": "site", "level": "locked", "site": "01", "up_to_event_oid": "SE.M6",
                 "reason": "primary analysis"})
    assert made.status_code == 201 and made.json["up_to_event_oid"] == "SE.M6"
    vs = f"{API}/subjects/{key}/events/{{event}}/forms/F.VS"
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens['coordinator']}"}
    refused = client.put(vs.format(event="SE.M6"), json={"version": 0, "items": vs_values()}, headers=headers)
    assert refused.status_code == 423 and "primary analysis" in refused.json["error"]
    read = client.get(vs.format(event="SE.M6"), headers=headers).json
    assert read["lock_state"] == "locked" and read["locked"] is True
    ok = client.put(vs.format(event="SE.M9"), json={"version": 0, "items": vs_values()}, headers=headers)
    assert ok.status_code == 200 and ok.json["lock_state"] == "open"
    cells = client.get(f"{API}/subjects/{key}/casebook", headers=headers)
    assert cells.status_code == 200


@pytest.mark.parametrize("body, field", [
    ({"scope": "study", "level": "locked"}, "reason"),
    ({"scope": "study", "level": "locked", "reason": ""}, "reason"),
    ({"scope": "study", "level": "locked", "reason": " \t"}, "reason"),
    ({"scope": "moon", "level": "locked", "reason": "x"}, "scope"),
    ({"scope": "study", "level": "sealed", "reason": "x"}, "level"),
    ({"scope": "site", "level": "locked", "reason": "x", "site": "99"}, "site"),
    ({"scope": "site", "level": "locked", "reason": "x"}, "site"),
    ({"scope": "study", "level": "locked", "reason": "x", "up_to_event_oid": "SE.UNSCHED"}, "up_to_event_oid"),
    ({"scope": "study", "level": "locked", "reason": "x", "extra": 1}, "extra"),
])
def test_api_bad_input_is_422_and_changes_nothing(app, tokens, body, field):
    response = _api(app, "POST", "/locks", tokens["data_manager"], body)
    assert response.status_code == 422 and field in response.json["errors"], response.json
    assert _lock_rows(app) == []


def test_api_another_sites_subject_is_403(app, tokens, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        other = new_subject(db.session, "02").key
        db.session.remove()
    response = _api(app, "POST", "/locks", tokens["data_manager"], {**FORM_LOCK, "subject": other})
    assert response.status_code == 403 and _lock_rows(app) == []
    response = _api(app, "POST", "/locks", tokens["data_manager"],
                    {"scope": "site", "level": "frozen", "site": "02", "reason": "x"})
    assert response.status_code == 403 and _lock_rows(app) == []


def test_api_undo_twice_is_409_and_unknown_is_404(app, tokens, key):
    made = _api(app, "POST", "/locks", tokens["data_manager"], {"scope": "study", "level": "frozen", "reason": "x"})
    path = f"/locks/{made.json['id']}/undo"
    assert _api(app, "POST", path, tokens["data_manager"], {"reason": "y"}).status_code == 200
    again = _api(app, "POST", path, tokens["data_manager"], {"reason": "y"})
    assert again.status_code == 409 and again.json["error"]
    assert _api(app, "POST", "/locks/999/undo", tokens["data_manager"], {"reason": "y"}).status_code == 404
