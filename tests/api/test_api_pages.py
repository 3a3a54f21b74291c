"""The web's remaining actions through the API: the calculation preview, form and item audit trails, the casebook
grid, the screening log, the visit calendar and the caller's own tokens. Each calls what the web view calls."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from api_helpers import API, VS_API, audit_rows
from helpers import demographics, new_subject, save, vs_values
from sqlalchemy import select

from ecrf.auth.permissions import API_MATRIX, MATRIX

#: each new API endpoint and the web endpoint whose action it is
WEB = {
    "api.calculate": "capture.calculate",
    "api.form_audit": "audit.form",
    "api.item_audit": "audit.item",
    "api.casebook": "subjects.casebook",
    "api.screening_log": "enrolment.screening_log",
    "api.calendar": "visits.calendar",
    "api.list_tokens": "tokens.index",
    "api.revoke_token": "tokens.revoke",
}
CHEM = API + "/subjects/{key}/events/SE.SCREENING/forms/F.CHEM"
LD = API + "/subjects/{key}/events/SE.LD1/forms/F.LD"
CHEM_TYPED = {"I.CHEM.DTC": "2026-11-02", "I.CHEM.CREATORRES": "50", "I.CHEM.CREATU": "umol/L"}


def _subject(session, key):
    from ecrf.subjects.models import Subject

    return session.scalar(select(Subject).where(Subject.key == key))


@pytest.fixture
def db_session(app):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        yield db.session
        db.session.remove()


def _with_demographics(app, key, sex="F", dob="1990-05-05", **extra):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        demographics(db.session, _subject(db.session, key), sex, dob, **extra)
        db.session.remove()


def test_each_route_grants_the_roles_of_its_web_action():
    for endpoint, web in WEB.items():
        assert API_MATRIX[endpoint] == MATRIX[web], endpoint


# -- the calculation preview ---------------------------------------------------------------------------------------

def _calculate(api, tokens, url, items, who="coordinator"):
    return api.request("POST", url + "/calculate", token=tokens[who], json={"items": items})


def test_calculate_gives_the_web_previews_value_and_formula(app, api, tokens, keys, as_role):
    _with_demographics(app, keys["01"])
    response = _calculate(api, tokens, CHEM.format(key=keys["01"]), CHEM_TYPED)
    assert response.status_code == 200, response.json
    egfr = response.json["items"]["I.CHEM.EGFR"]
    assert egfr["value"] == "120.9" and "CKD-EPI 2021" in egfr["formula"]
    assert egfr["missing"] == [] and egfr["problem"] is None and response.json["invalid"] == {}
    web = as_role("coordinator").post(CHEM.removeprefix(API).format(key=keys["01"]) + "/calculate", CHEM_TYPED)
    assert web.status_code == 200
    assert web.json["I.CHEM.EGFR"] == {"value": egfr["value"], "formula": egfr["formula"]}


def test_calculate_names_the_items_missing_here_and_on_other_forms(api, tokens, keys):
    response = _calculate(api, tokens, CHEM.format(key=keys["01"]),
                          {"I.CHEM.CREATORRES": 50, "I.CHEM.CREATU": "umol/L"})
    assert response.status_code == 200
    assert response.json["items"]["I.CHEM.EGFR"] == {
        "value": None, "formula": None, "missing": ["I.CHEM.DTC", "I.DM.BRTHDAT", "I.DM.SEX"], "problem": None}


def test_calculate_says_why_the_formula_refuses_the_inputs(app, api, tokens, keys):
    _with_demographics(app, keys["01"], dob="2026-06-01")  # under one year old on the sample date
    response = _calculate(api, tokens, CHEM.format(key=keys["01"]), CHEM_TYPED)
    egfr = response.json["items"]["I.CHEM.EGFR"]
    assert egfr["value"] is None and egfr["missing"] == []
    assert "age >= 1 year" in egfr["problem"]


def test_calculate_reports_unreadable_values_and_treats_them_as_missing(api, tokens, keys):
    response = _calculate(api, tokens, LD.format(key=keys["01"]), {"I.LD.HEIGHT": "tall", "I.LD.WEIGHT": 60})
    assert response.status_code == 200
    assert set(response.json["invalid"]) == {"I.LD.HEIGHT"}
    assert response.json["items"]["I.LD.BSA"]["missing"] == ["I.LD.HEIGHT"]
    typed = _calculate(api, tokens, LD.format(key=keys["01"]), {"I.LD.HEIGHT": 170, "I.LD.WEIGHT": "60"})
    assert typed.json["items"]["I.LD.BSA"]["value"] == "1.68"


def test_calculate_stores_and_audits_nothing(app, api, tokens, keys):
    from ecrf.capture.models import FormData
    from ecrf.infra.extensions import db

    before = len(audit_rows(app))
    _calculate(api, tokens, LD.format(key=keys["01"]), {"I.LD.HEIGHT": "170", "I.LD.WEIGHT": "60"})
    assert len(audit_rows(app)) == before
    with app.app_context():
        assert db.session.scalar(select(FormData).where(FormData.form_oid == "F.LD")) is None


def test_calculate_refuses_unknown_items_and_bad_bodies(api, tokens, keys):
    url = LD.format(key=keys["01"])
    unknown = _calculate(api, tokens, url, {"I.LD.NOPE": "1"})
    assert unknown.status_code == 400 and unknown.json["unknown_items"] == ["I.LD.NOPE"]
    nested = _calculate(api, tokens, url, {"I.LD.HEIGHT": {"value": 170}})
    assert nested.status_code == 422 and "I.LD.HEIGHT" in nested.json["errors"]
    for body in ([], {"items": []}, {"items": {}, "version": 0}):
        response = api.request("POST", url + "/calculate", token=tokens["coordinator"], json=body)
        assert response.status_code in (400, 422) and response.json["status"] == response.status_code, body
    wrong = api.request("POST", API + f"/subjects/{keys['01']}/events/SE.LD1/forms/F.VS/calculate",
                        token=tokens["coordinator"], json={"items": {}})
    assert wrong.status_code == 404


# -- form and item audit trails ------------------------------------------------------------------------------------

def _saved_vs_and_chem(api, tokens, key):
    assert api.put(VS_API.format(key=key), {"version": 0, "items": vs_values()},
                   token=tokens["coordinator"]).status_code == 200
    assert api.put(VS_API.format(key=key), {"version": 1, "items": vs_values(**{"I.VS.HR": "80"}),
                                            "reason": "TRANSCRIPTION"}, token=tokens["coordinator"]).status_code == 200
    assert api.put(CHEM.format(key=key), {"version": 0, "items": CHEM_TYPED},
                   token=tokens["coordinator"]).status_code == 200


def test_the_form_trail_holds_the_form_and_its_items_only(app, api, tokens, keys):
    key = keys["01"]
    _saved_vs_and_chem(api, tokens, key)
    page = api.get(VS_API.format(key=key) + "/audit?limit=200", token=tokens["monitor"]).json
    assert page["next_before"] is None
    expected = [r.seq for r in reversed(audit_rows(app, subject_key=key, form_oid="F.VS"))]
    assert [r["seq"] for r in page["records"]] == expected and len(expected) >= 9
    assert {r["form_oid"] for r in page["records"]} == {"F.VS"}
    assert "I.VS.HR" in {r["item_oid"] for r in page["records"]} and None in {r["item_oid"] for r in page["records"]}


def test_the_item_trail_is_the_items_history_in_words(api, tokens, keys):
    key = keys["01"]
    _saved_vs_and_chem(api, tokens, key)
    records = api.get(VS_API.format(key=key) + "/items/I.VS.HR/audit", token=tokens["sponsor"]).json["records"]
    assert [(r["action"], r["old_value"], r["new_value"]) for r in records] == [("update", "72", "80"),
                                                                                ("create", None, "72")]
    assert records[0]["reason"] and records[0]["reason"] != '{"code":"TRANSCRIPTION"}'
    assert {r["item_oid"] for r in records} == {"I.VS.HR"}


def test_form_trails_are_paged_without_gaps(app, api, tokens, keys):
    key = keys["01"]
    _saved_vs_and_chem(api, tokens, key)
    seen, before = [], None
    while True:
        url = VS_API.format(key=key) + "/audit?limit=3" + (f"&before={before}" if before else "")
        page = api.get(url, token=tokens["monitor"]).json
        assert len(page["records"]) <= 3
        seen += [r["seq"] for r in page["records"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == [r.seq for r in reversed(audit_rows(app, subject_key=key, form_oid="F.VS"))]


def test_trail_refusals(api, tokens, keys):
    base = VS_API.format(key=keys["01"])
    assert api.get(base + "/items/I.HEM.HGB/audit", token=tokens["monitor"]).status_code == 404
    assert api.get(base + "/items/I.VS.HR/audit?before=0", token=tokens["monitor"]).status_code == 400
    assert api.get(base + "/audit?limit=201", token=tokens["monitor"]).status_code == 400
    assert api.get(base + "/audit?repeat=2", token=tokens["monitor"]).status_code == 404  # F.VS does not repeat
    assert api.get(base + "/audit?event_repeat=x", token=tokens["monitor"]).status_code == 400


# -- the casebook grid ---------------------------------------------------------------------------------------------

def _cells(casebook) -> dict:
    return {(c["event_oid"], c["repeat"], cell["form_oid"]): cell for c in casebook["columns"] for cell in c["cells"]}


def test_the_casebook_shows_each_forms_state_at_each_visit(app, api, tokens, keys):
    from ecrf.study.definition import load

    key = keys["01"]
    api.put(VS_API.format(key=key), {"version": 0, "items": vs_values()}, token=tokens["coordinator"])
    api.put(CHEM.format(key=key), {"version": 0, "items": {"I.CHEM.DTC": "2026-11-02"}}, token=tokens["coordinator"])
    casebook = api.get(API + f"/subjects/{key}/casebook", token=tokens["monitor"]).json
    assert casebook["subject"] == key
    cells = _cells(casebook)
    assert cells[("SE.SCREENING", 1, "F.VS")]["status"] == "complete"
    assert cells[("SE.SCREENING", 1, "F.CHEM")]["status"] == "in_progress"
    assert cells[("SE.SUBJECT", 1, "F.IC")]["status"] == "complete"  # the consent of new_subject
    assert cells[("SE.D28", 1, "F.VS")] == {"form_oid": "F.VS", "status": "not_started", "required": True,
                                            "count": 0}
    study = load()
    assert [c["event_oid"] for c in casebook["columns"] if c["repeat"] == 1] == [e.oid for e in study.events]
    assert {f["form_oid"] for f in casebook["forms"]} == {r.form_oid for e in study.events for r in e.forms}


def test_pregnancy_forms_are_required_only_for_a_woman_of_childbearing_potential(app, api, tokens, keys, db_session):
    man = new_subject(db_session, "01")
    demographics(db_session, man, "M", "1990-01-01")
    man_key = man.key
    _with_demographics(app, keys["01"], "F", "1995-01-01", **{"I.DM.MENARCHE": "true"})
    woman = _cells(api.get(API + f"/subjects/{keys['01']}/casebook", token=tokens["monitor"]).json)
    other = _cells(api.get(API + f"/subjects/{man_key}/casebook", token=tokens["monitor"]).json)
    assert woman[("SE.M3", 1, "F.PREG")]["required"] and woman[("SE.M3", 1, "F.CONTRA")]["required"]
    assert not other[("SE.M3", 1, "F.PREG")]["required"] and not other[("SE.M3", 1, "F.CONTRA")]["required"]


def test_a_repeating_form_counts_its_entries(app, api, tokens, keys, db_session):
    from ecrf.study.definition import load

    study = load()
    event, ref = next((e, r) for e in study.events for r in e.forms
                      if study.form(r.form_oid).repeating and e.type != "Common" and not e.repeating)
    form = study.form(ref.form_oid)
    url = API + f"/subjects/{keys['01']}/events/{event.oid}/forms/{form.oid}"
    before = _cells(api.get(API + f"/subjects/{keys['01']}/casebook", token=tokens["monitor"]).json)
    assert before[(event.oid, 1, form.oid)]["count"] == 0
    for repeat in (1, 2):
        response = api.put(f"{url}?repeat={repeat}", {"version": 0, "items": {}}, token=tokens["coordinator"])
        assert response.status_code == 200, response.json
    after = _cells(api.get(API + f"/subjects/{keys['01']}/casebook", token=tokens["monitor"]).json)
    assert after[(event.oid, 1, form.oid)]["count"] == 2
    assert after[(event.oid, 1, form.oid)]["status"] in ("in_progress", "complete")


# -- the screening log and the calendar ----------------------------------------------------------------------------

def test_the_screening_log_lists_your_sites_subjects_with_their_outcome(app, api, tokens, keys, db_session):
    from ecrf.enrolment import services

    failed = new_subject(db_session, "01")
    services.screen_fail(db_session, failed, "LVEF 45 %")
    db_session.commit()
    failed_key = failed.key
    log = api.get(API + "/screening-log", token=tokens["coordinator"]).json["subjects"]
    assert [s["key"] for s in log] == sorted([keys["01"], failed_key])
    entry = next(s for s in log if s["key"] == failed_key)
    assert (entry["site"], entry["status"], entry["screen_fail_reason"], entry["subject_no"]) == (
        "01", "screen_failed", "LVEF 45 %", None)
    assert entry["registered_at"].endswith("Z")
    other = api.get(API + "/screening-log", token=tokens["coordinator2"]).json["subjects"]
    assert [s["key"] for s in other] == [keys["02"]]


def _infused(session, days_ago: int, site: str = "01") -> str:
    """An enrolled subject infused ``days_ago`` days back (the steps of the web calendar's test)."""
    from helpers import enrolled_subject
    from test_trial_path import _infusion_values, _ready_for_infusion

    subject = enrolled_subject(session, site)
    _ready_for_infusion(session, subject, ld1=-(days_ago + 5))
    save(session, subject, "F.INF", _infusion_values((date.today() - timedelta(days=days_ago)).isoformat()),
         event_oid="SE.D0")
    return subject.key


def test_the_calendar_lists_what_needs_attention_most_urgent_first(app, api, tokens, db_session):
    key, other_key = _infused(db_session, 30), _infused(db_session, 10, "02")  # the sentinel waits 14 days
    visits = api.get(API + "/calendar", token=tokens["coordinator"]).json
    assert visits["days"] == 30
    states = {v["event_oid"]: v["state"] for v in visits["visits"] if v["subject"] == key}
    assert states["SE.D1"] == "overdue" and states["SE.D28"] == "due" and states["SE.M2"] == "upcoming"
    d1 = next(v for v in visits["visits"] if v["subject"] == key and v["event_oid"] == "SE.D1")
    assert d1["planned_date"] == (date.today() - timedelta(days=29)).isoformat() and d1["actual_date"] is None
    order = ["overdue", "due", "upcoming", "done_out_of_window"]
    ranks = [order.index(v["state"]) for v in visits["visits"]]
    assert ranks == sorted(ranks)
    assert {v["subject"] for v in visits["visits"]} == {key}
    theirs = api.get(API + "/calendar", token=tokens["coordinator2"]).json["visits"]
    assert {v["subject"] for v in theirs} == {other_key} and {v["site"] for v in theirs} == {"02"}


def test_the_calendar_leaves_screen_failures_out(api, tokens, db_session):
    from ecrf.enrolment import services

    screening, failed = new_subject(db_session, "01"), new_subject(db_session, "01")
    before = {v["subject"] for v in api.get(API + "/calendar", token=tokens["monitor"]).json["visits"]}
    assert {screening.key, failed.key} <= before  # both have their screening visit to do
    services.screen_fail(db_session, failed, "ANA negative")
    db_session.commit()
    after = {v["subject"] for v in api.get(API + "/calendar", token=tokens["monitor"]).json["visits"]}
    assert screening.key in after and failed.key not in after


def test_the_calendar_horizon_narrows_upcoming_visits_only(app, api, tokens, db_session):
    key = _infused(db_session, 30)
    soon = api.get(API + "/calendar?days=0", token=tokens["monitor"]).json
    assert soon["days"] == 0
    states = {v["event_oid"]: v["state"] for v in soon["visits"] if v["subject"] == key}
    assert "SE.M2" not in states and states["SE.D1"] == "overdue"
    later = api.get(API + "/calendar?days=400", token=tokens["monitor"]).json
    assert {"SE.M6", "SE.M12"} <= {v["event_oid"] for v in later["visits"] if v["subject"] == key}
    for bad in ("-1", "x", "3651", "9" * 50):
        response = api.get(API + f"/calendar?days={bad}", token=tokens["monitor"])
        assert response.status_code == 400 and response.json["status"] == 400, bad


# -- the caller's own tokens ---------------------------------------------------------------------------------------

def test_tokens_lists_only_your_own_and_never_the_hash(app, api, tokens):
    from ecrf.auth.models import ApiToken
    from ecrf.infra.extensions import db

    listed = api.get(API + "/tokens", token=tokens["coordinator"]).json["tokens"]
    with app.app_context():
        rows = db.session.scalars(select(ApiToken).join(ApiToken.user).where(
            ApiToken.user.has(username="coordinator"))).all()
        hashes = {r.token_hash for r in rows}
        expected = {r.prefix for r in rows}
    assert {t["prefix"] for t in listed} == expected and len(listed) == 3  # its own, the expired, the revoked
    assert {t["status"] for t in listed} == {"active", "expired", "revoked"}
    assert set(listed[0]) == {"prefix", "label", "status", "created_at", "expires_at", "last_used_at", "revoked_at"}
    text = str(listed)
    assert not any(h in text for h in hashes) and tokens["coordinator"] not in text
    used = next(t for t in listed if t["prefix"] == tokens["coordinator"][:10])
    assert used["last_used_at"] is not None and used["status"] == "active"


def test_an_admins_token_sees_only_the_admins_tokens(api, tokens):
    listed = api.get(API + "/tokens", token=tokens["admin"]).json["tokens"]
    assert [t["prefix"] for t in listed] == [tokens["admin"][:10]]


def test_revoking_your_token_ends_it_and_is_audited(app, api, tokens):
    prefix = tokens["monitor"][:10]
    response = api.request("POST", API + f"/tokens/{prefix}/revoke", token=tokens["data_manager"], json={})
    assert response.status_code == 404  # another user's token: not revealed, not revoked
    assert api.get(API + "/study", token=tokens["monitor"]).status_code == 200
    # the monitor revokes a second token of theirs with the first
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        second = issue(db.session, db.session.scalar(select(User).where(User.username == "monitor")))[1]
        db.session.commit()
    response = api.request("POST", API + f"/tokens/{second[:10]}/revoke", token=tokens["monitor"], json={})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "revoked" and response.json["revoked_at"].endswith("Z")
    assert api.get(API + "/study", token=second).status_code == 401
    assert api.get(API + "/study", token=tokens["monitor"]).status_code == 200
    updates = audit_rows(app, entity="api_token", action="update", entity_key=f"monitor/token {second[:10]}")
    assert len(updates) == 1 and updates[0].username == "monitor" and "revoked_at" in updates[0].new_value
    again = api.request("POST", API + f"/tokens/{second[:10]}/revoke", token=tokens["monitor"], json={})
    assert again.status_code == 200 and again.json["revoked_at"] == response.json["revoked_at"]
    assert len(audit_rows(app, entity="api_token", action="update", entity_key=f"monitor/token {second[:10]}")) == 1


def test_a_token_may_revoke_itself(api, tokens):
    prefix = tokens["sponsor"][:10]
    response = api.request("POST", API + f"/tokens/{prefix}/revoke", token=tokens["sponsor"], json={})
    assert response.status_code == 200 and response.json["status"] == "revoked"
    assert api.get(API + "/tokens", token=tokens["sponsor"]).status_code == 401


def test_revoke_refusals(app, api, tokens):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import ApiToken, User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    for prefix in ("ecrf_", "ecrf_zzzzz", "x" * 10, "ecrf_abcdef", "%00" * 5):
        response = api.request("POST", API + f"/tokens/{prefix}/revoke", token=tokens["coordinator"], json={})
        assert response.status_code == 404 and response.json["status"] == 404, prefix
    prefix = tokens["coordinator"][:10]
    for body in ([], {"x": 1}):
        response = api.request("POST", API + f"/tokens/{prefix}/revoke", token=tokens["coordinator"], json=body)
        assert response.status_code in (400, 422), body
    with app.app_context():  # two of one user's tokens that share a prefix (1 in 2^30 by chance)
        set_actor(db.session, Actor(None, "test-setup", "system"))
        user = db.session.scalar(select(User).where(User.username == "investigator"))
        row = issue(db.session, user)[0]
        row.prefix = tokens["investigator"][:10]
        db.session.commit()
    response = api.request("POST", API + f"/tokens/{tokens['investigator'][:10]}/revoke",
                           token=tokens["investigator"], json={})
    assert response.status_code == 409
    with app.app_context():
        assert all(t.revoked_at is None for t in db.session.scalars(select(ApiToken).where(
            ApiToken.prefix == tokens["investigator"][:10])))


def test_the_document_says_tokens_are_not_created_through_the_api():
    from ecrf.api.openapi import document

    doc = document()
    assert "post" not in doc["paths"][API + "/tokens"]
    assert "not created through the API" in doc["paths"][API + "/tokens"]["get"]["description"]


# -- another site's subject ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("POST", "/events/SE.LD1/forms/F.LD/calculate"),
    ("GET", "/events/SE.SCREENING/forms/F.VS/audit"),
    ("GET", "/events/SE.SCREENING/forms/F.VS/items/I.VS.HR/audit"),
    ("GET", "/casebook"),
])
def test_another_sites_subject_is_403_and_an_unknown_one_404(api, tokens, keys, method, path):
    body = {"items": {}} if method == "POST" else None
    other = api.request(method, API + f"/subjects/{keys['02']}{path}", token=tokens["coordinator"], json=body)
    assert other.status_code == 403 and other.json["status"] == 403
    own = api.request(method, API + f"/subjects/{keys['02']}{path}", token=tokens["coordinator2"], json=body)
    assert own.status_code == 200
    unknown = api.request(method, API + f"/subjects/01-S999{path}", token=tokens["coordinator"], json=body)
    assert unknown.status_code == 404
