"""SDV through the web pages and the JSON API: monitors verify (others are refused), the form page shows each
item's state, a locked form and bad input are refused with a 4xx and change nothing, other sites are refused."""
from __future__ import annotations

import pytest
from helpers import VS_URL, new_subject, save, tokens_for_everyone, vs_values
from sqlalchemy import select

API = "/api/v1"
VS_API = API + "/subjects/{key}/events/SE.SCREENING/forms/F.VS"
ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")


class Api:
    """JSON with a bearer token."""

    def __init__(self, client):
        self.client = client

    def request(self, method, url, token, json=None):
        return self.client.open(url, method=method, json=json, headers={"Authorization": f"Bearer {token}"})

    def get(self, url, token):
        return self.request("GET", url, token)

    def put(self, url, body, token):
        return self.request("PUT", url, token, body)


@pytest.fixture
def keys(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        out = {}
        for site in ("01", "02"):
            subject = new_subject(db.session, site)
            save(db.session, subject, "F.VS", vs_values())
            out[site] = subject.key
        db.session.remove()
    return out


def _states(app, key):
    from ecrf.capture.models import FormData, StudyEventData
    from ecrf.infra.extensions import db
    from ecrf.sdv.models import ItemVerification
    from ecrf.subjects.models import Subject

    with app.app_context():
        rows = db.session.execute(
            select(ItemVerification.item_oid, ItemVerification.state).join(FormData).join(StudyEventData)
            .join(Subject).where(Subject.key == key, FormData.form_oid == "F.VS")).all()
        db.session.remove()
        return dict(rows)


def _lock(app, key):
    from ecrf.auth.models import User
    from ecrf.capture import locks
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        subject = db.session.scalar(select(Subject).where(Subject.key == key))
        manager = db.session.scalar(select(User).where(User.username == "data_manager"))
        locks.close(db.session, manager, scope="form", level="locked", reason="database lock", subject=subject,
                    event_oid="SE.SCREENING", form_oid="F.VS")
        db.session.commit()
        db.session.remove()


# -- web -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_web_only_monitors_verify(app, keys, as_role, role):
    browser = as_role(role)
    url = VS_URL.format(key=keys["01"]) + "/sdv"
    response = browser.post(url, {"action": "items", "item": ["I.VS.HR", "I.VS.SYSBP"]})
    if role == "monitor":
        assert response.status_code == 302
        assert _states(app, keys["01"]) == {"I.VS.HR": "verified", "I.VS.SYSBP": "verified"}
    else:
        assert response.status_code == 403
        assert _states(app, keys["01"]) == {}


def test_web_form_page_shows_state_and_checkboxes_to_monitors(app, keys, as_role):
    monitor = as_role("monitor")
    url = VS_URL.format(key=keys["01"])
    page = monitor.get(url).get_data(as_text=True)
    assert 'data-testid="sdv-form"' in page and 'data-testid="sdv-check-I.VS.HR"' in page
    assert 'data-testid="sdv-I.VS.HR" data-sdv="not_verified"' in page  # the first subject: every item required
    assert monitor.post(url + "/sdv", {"action": "form"}).status_code == 302
    page = monitor.get(url).get_data(as_text=True)
    assert 'data-testid="sdv-I.VS.HR" data-sdv="verified"' in page and 'sdv-check-I.VS.HR' not in page
    coordinator = as_role("coordinator")
    page = coordinator.get(url).get_data(as_text=True)
    assert 'data-sdv="verified"' in page and 'data-testid="sdv-form"' not in page
    response = coordinator.post(url, {**vs_values(**{"I.VS.HR": "90"}), "version": "1", "reason_code": "TRANSCRIPTION"})
    assert response.status_code == 302
    page = monitor.get(url).get_data(as_text=True)
    assert 'data-testid="sdv-I.VS.HR" data-sdv="changed"' in page and "Changed since SDV</span> by coordinator" in page
    assert 'data-testid="sdv-I.VS.SYSBP" data-sdv="verified"' in page


def test_web_refusals_are_4xx_and_change_nothing(app, keys, as_role):
    monitor = as_role("monitor")
    url = VS_URL.format(key=keys["01"]) + "/sdv"
    response = monitor.post(url, {"action": "items", "item": ["I.VS.NOPE"]})
    assert response.status_code == 422 and "I.VS.NOPE" in response.get_data(as_text=True)
    assert monitor.post(url, {"action": "items"}).status_code == 422
    assert monitor.post(VS_URL.format(key=keys["02"]) + "/sdv", {"action": "form"}).status_code == 403
    assert _states(app, keys["01"]) == {} and _states(app, keys["02"]) == {}
    _lock(app, keys["01"])
    response = monitor.post(url, {"action": "form"})
    assert response.status_code == 423 and "locked" in response.get_data(as_text=True)
    assert _states(app, keys["01"]) == {}


def test_web_pages_worklist_progress_plans(app, keys, as_role):
    monitor = as_role("monitor")
    page = monitor.get("/sdv").get_data(as_text=True)
    assert keys["01"] in page and keys["02"] not in page and 'data-testid="nav-sdv"' in page
    assert keys["01"] in monitor.get("/sdv/progress").get_data(as_text=True)
    assert monitor.get("/sdv?site=02").status_code == 403
    assert monitor.get("/sdv/progress?site=99").status_code == 404
    dm = as_role("data_manager")
    assert dm.post("/sdv/plans/01", {"full_first_n": "0", "then": "none"}).status_code == 302
    assert "first 0 subject(s) in full, then none" in dm.get("/sdv/plans").get_data(as_text=True)
    assert keys["01"] not in monitor.get("/sdv").get_data(as_text=True)  # nothing required any more
    assert dm.post("/sdv/plans/01", {"full_first_n": "x", "then": "all"}).status_code == 422
    assert dm.post("/sdv/plans/02", {"full_first_n": "1", "then": "all"}).status_code == 403
    assert as_role("coordinator").post("/sdv/plans/01", {"full_first_n": "1", "then": "all"}).status_code == 403
    assert "first 0 subject(s) in full, then none" in dm.get("/sdv/plans").get_data(as_text=True)


# -- API -----------------------------------------------------------------------------------------------------------

@pytest.fixture
def api(app):
    return Api(app.test_client())


@pytest.fixture
def tokens(app, world):
    """A token for every user, by username."""
    return tokens_for_everyone(app)


@pytest.mark.parametrize("role", ROLES)
def test_api_only_monitors_verify(app, api, keys, tokens, role):
    url = VS_API.format(key=keys["01"])
    items = api.request("POST", url + "/sdv/items", token=tokens[role], json={"items": ["I.VS.HR"]})
    whole = api.request("POST", url + "/sdv/form", token=tokens[role], json={})
    if role == "monitor":
        assert (items.status_code, whole.status_code) == (200, 200)
        states = {i["oid"]: i for i in whole.json["items"]}
        assert states["I.VS.HR"]["state"] == "verified" and states["I.VS.HR"]["verified_value"] == "72"
        assert states["I.VS.HR"]["verified_by"] == "monitor" and whole.json["counts"]["pending"] == 0
    else:
        assert (items.status_code, whole.status_code) == (403, 403)
        assert _states(app, keys["01"]) == {}


def test_api_reset_locked_bad_input_other_site(app, api, keys, tokens):
    url = VS_API.format(key=keys["01"])
    monitor = tokens["monitor"]
    for body in ({"items": ["I.VS.NOPE"]}, {"items": []}, {"items": "I.VS.HR"}, {"items": [1]}):
        assert api.request("POST", url + "/sdv/items", token=monitor, json=body).status_code == 422, body
    assert api.request("POST", VS_API.format(key=keys["02"]) + "/sdv/form", token=monitor, json={}).status_code == 403
    assert _states(app, keys["01"]) == {}
    assert api.request("POST", url + "/sdv/form", token=monitor, json={}).status_code == 200
    saved = api.put(url, {"version": 1, "items": vs_values(**{"I.VS.RESP": "18"}), "reason": "TRANSCRIPTION"},
                    token=tokens["coordinator"])
    assert saved.status_code == 200, saved.json
    item = api.get(url + "/items/I.VS.RESP/sdv", token=tokens["sponsor"]).json
    assert (item["state"], item["changed_by"], item["verified_value"]) == ("changed", "coordinator", "16")
    assert api.get(url + "/items/I.VS.HR/sdv", token=tokens["sponsor"]).json["state"] == "verified"
    work = api.get(API + "/sdv/worklist", token=monitor).json["forms"]
    assert [(w["subject"], w["form_oid"], w["counts"]["changed"]) for w in work][0] == (keys["01"], "F.VS", 1)
    progress = api.get(API + "/sdv/progress", token=monitor).json
    assert progress["sites"][0]["counts"]["changed"] == 1 and progress["sites"][0]["plan"]["own"] is False
    _lock(app, keys["01"])
    locked = api.request("POST", url + "/sdv/items", token=monitor, json={"items": ["I.VS.RESP"]})
    assert locked.status_code == 423
    assert _states(app, keys["01"])["I.VS.RESP"] == "changed"


def test_api_plan_get_and_set(app, api, keys, tokens):
    plan = API + "/sites/01/sdv-plan"
    assert api.get(plan, token=tokens["sponsor"]).json == {
        "site": "01", "full_first_n": 3, "then": "critical", "own": False, "updated_by": None, "updated_at": None}
    for role in ("investigator", "coordinator", "sponsor", "admin"):
        assert api.put(plan, {"full_first_n": 1, "then": "all"}, token=tokens[role]).status_code == 403
    assert api.put(plan, {"full_first_n": True, "then": "all"}, token=tokens["monitor"]).status_code == 422
    answer = api.put(plan, {"full_first_n": 1, "then": "all"}, token=tokens["monitor"])
    assert answer.status_code == 200 and answer.json["own"] and answer.json["updated_by"] == "monitor"
