"""Electronic signatures through the web pages and the JSON API: the signing session, refusals, roles, sites."""
from __future__ import annotations

import pytest
from api_helpers import API, audit_rows
from helpers import PASSWORD, Browser, new_subject, save, vs_values
from sqlalchemy import func, select

BOOK_MEANING = "I approve the data in this casebook as accurate and complete"
FORM_MEANING = "I have reviewed the data of this form"
FORM_ARGS = "scope=form&event_oid=SE.SCREENING&form_oid=F.VS"


@pytest.fixture
def keys(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        here = new_subject(db.session)
        save(db.session, here, "F.VS", vs_values())
        there = new_subject(db.session, "02")
        out = {"01": here.key, "02": there.key}
        db.session.remove()
    return out


def _count(app):
    from ecrf.infra.extensions import db
    from ecrf.signatures.models import Signature

    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Signature))
        db.session.remove()
        return n


def _sign(browser, key, args=FORM_ARGS, **data):
    data.setdefault("meaning", FORM_MEANING)
    return browser.post(f"/subjects/{key}/sign?{args}", data)


def test_first_signing_asks_username_and_password_later_ones_the_password(app, as_role, keys):
    b = as_role("investigator")
    page = b.get(f"/subjects/{keys['01']}/sign?{FORM_ARGS}").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page and FORM_MEANING in page
    refused = _sign(b, keys["01"], password=PASSWORD)
    assert refused.status_code == 403 and "Enter your username" in refused.get_data(as_text=True)
    assert _count(app) == 0
    ok = _sign(b, keys["01"], username="investigator", password=PASSWORD)
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/subjects/{keys['01']}/signatures")
    page = b.get(f"/subjects/{keys['01']}/sign?{FORM_ARGS}").get_data(as_text=True)
    assert 'name="username"' not in page and "password is enough" in page
    assert _sign(b, keys["01"], password=PASSWORD).status_code == 302
    assert _count(app) == 2
    listing = b.get(f"/subjects/{keys['01']}/signatures").get_data(as_text=True)
    assert "Investigator Person" in listing and 'data-state="valid"' in listing and "UTC" in listing
    assert "CST" in listing  # the site's zone (Asia/Shanghai)
    # a new login is a new session: the username again
    again = as_role("investigator")
    assert 'name="username"' in again.get(f"/subjects/{keys['01']}/sign?{FORM_ARGS}").get_data(as_text=True)


def test_a_logout_ends_the_signing_session(app, as_role, keys):
    b = as_role("investigator")
    assert _sign(b, keys["01"], username="investigator", password=PASSWORD).status_code == 302
    b.post("/logout")
    b.login("investigator")
    b.token = None
    assert 'name="username"' in b.get(f"/subjects/{keys['01']}/sign?{FORM_ARGS}").get_data(as_text=True)


def test_a_wrong_password_is_403_audited_and_signs_nothing(app, as_role, keys):
    b = as_role("investigator")
    response = _sign(b, keys["01"], username="investigator", password="wrong")
    assert response.status_code == 403 and "password is wrong" in response.get_data(as_text=True)
    assert _count(app) == 0
    assert [r.entity for r in audit_rows(app, action="signature_failed")] == ["signature"]
    other = _sign(b, keys["01"], username="coordinator", password=PASSWORD)
    assert other.status_code == 403 and "not your username" in other.get_data(as_text=True)
    assert _count(app) == 0


def test_five_failed_signings_lock_the_account(app, as_role, keys):
    b = as_role("investigator")
    for _ in range(5):
        assert _sign(b, keys["01"], username="investigator", password="wrong").status_code == 403
    locked = _sign(b, keys["01"], username="investigator", password=PASSWORD)
    assert locked.status_code == 403 and "locked" in locked.get_data(as_text=True)
    assert _count(app) == 0
    assert "locked" in Browser(app.test_client()).login("investigator").get_data(as_text=True)


def test_the_missing_data_warning_and_its_confirmation(app, as_role, keys):
    b = as_role("investigator")
    page = b.get(f"/subjects/{keys['01']}/sign?scope=casebook").get_data(as_text=True)
    assert 'data-testid="missing-data"' in page and "not started" in page and "despite_missing" in page
    refused = _sign(b, keys["01"], "scope=casebook", meaning=BOOK_MEANING, username="investigator",
                    password=PASSWORD)
    assert refused.status_code == 409 and "Required data is missing" in refused.get_data(as_text=True)
    assert _count(app) == 0
    assert _sign(b, keys["01"], "scope=casebook", meaning=BOOK_MEANING, username="investigator", password=PASSWORD,
                 despite_missing="y").status_code == 302
    assert _count(app) == 1


def test_a_broken_signature_is_shown_with_a_re_sign_link(app, as_role, keys):
    b = as_role("investigator")
    _sign(b, keys["01"], username="investigator", password=PASSWORD)
    coordinator = as_role("coordinator")
    url = f"/subjects/{keys['01']}/events/SE.SCREENING/forms/F.VS"
    page = coordinator.get(url).get_data(as_text=True)
    import re

    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    saved = coordinator.post(url, {**vs_values(**{"I.VS.HR": "88"}), "version": version,
                                   "reason_code": "TRANSCRIPTION"})
    assert saved.status_code == 302
    listing = b.get(f"/subjects/{keys['01']}/signatures").get_data(as_text=True)
    assert 'data-state="broken"' in listing and "I.VS.HR" in listing and "Re-sign" in listing
    worklist = b.get("/signatures").get_data(as_text=True)
    assert keys["01"] in worklist.split('data-testid="broken"')[1]
    assert _sign(b, keys["01"], password=PASSWORD).status_code == 302
    assert 'data-state="valid"' in b.get(f"/subjects/{keys['01']}/signatures").get_data(as_text=True)


def test_links_from_the_casebook_and_the_form(app, as_role, keys):
    page = as_role("investigator").get(f"/subjects/{keys['01']}").get_data(as_text=True)
    assert f"/subjects/{keys['01']}/sign?scope=casebook" in page and f"/subjects/{keys['01']}/signatures" in page
    form = as_role("investigator").get(f"/subjects/{keys['01']}/events/SE.SCREENING/forms/F.VS").get_data(as_text=True)
    assert 'data-testid="sign-form-link"' in form
    assert 'data-testid="sign-form-link"' not in as_role("monitor").get(
        f"/subjects/{keys['01']}/events/SE.SCREENING/forms/F.VS").get_data(as_text=True)


@pytest.mark.parametrize("role", ["coordinator", "monitor", "data_manager", "sponsor", "admin"])
def test_only_the_investigator_may_sign_on_the_web(app, as_role, keys, role):
    b = as_role(role)
    assert b.get(f"/subjects/{keys['01']}/sign?scope=casebook").status_code == 403
    assert _sign(b, keys["01"], username=role, password=PASSWORD).status_code == 403
    assert _count(app) == 0


def test_another_sites_subject_and_bad_scopes(app, as_role, keys):
    b = as_role("investigator")
    assert b.get(f"/subjects/{keys['02']}/sign?scope=casebook").status_code == 403
    assert b.get(f"/subjects/{keys['02']}/signatures").status_code == 403
    for args in ("scope=nope", "scope=visit&event_oid=SE.NOPE", "scope=form&event_oid=SE.SCREENING&form_oid=F.X",
                 "scope=visit&event_oid=SE.D1&event_repeat=2"):
        assert b.get(f"/subjects/{keys['01']}/sign?{args}").status_code == 404, args
    assert b.get(f"/subjects/{keys['01']}/sign?scope=visit&event_oid=SE.D1&event_repeat=x").status_code == 400
    bad = _sign(b, keys["01"], meaning="I like it", username="investigator", password=PASSWORD)
    assert bad.status_code == 400 and _count(app) == 0


# -- the API -----------------------------------------------------------------------------------------------------

SIGN = {"scope": "form", "event_oid": "SE.SCREENING", "form_oid": "F.VS", "meaning": FORM_MEANING,
        "password": PASSWORD}


def test_the_api_signs_with_the_password_every_time(app, api, tokens, keys):
    url = f"{API}/subjects/{keys['01']}/signatures"
    first = api.request("POST", url, token=tokens["investigator"], json=SIGN)
    assert first.status_code == 201, first.json
    assert first.json["state"] == "valid" and first.json["printed_name"] == "Investigator Person"
    assert first.json["signed_at"].endswith("Z") and "CST" in first.json["signed_at_site"]
    assert len(first.json["data_hash"]) == 64
    assert api.request("POST", url, token=tokens["investigator"], json={**SIGN, "username": "investigator"}
                       ).status_code == 201
    missing = api.request("POST", url, token=tokens["investigator"], json={k: v for k, v in SIGN.items()
                                                                           if k != "password"})
    assert missing.status_code == 422
    wrong = api.request("POST", url, token=tokens["investigator"], json={**SIGN, "password": "wrong"})
    assert wrong.status_code == 403 and "password is wrong" in wrong.json["error"]
    other = api.request("POST", url, token=tokens["investigator"], json={**SIGN, "username": "monitor"})
    assert other.status_code == 403 and "not your username" in other.json["error"]
    assert len(audit_rows(app, action="signature_failed")) == 2
    listing = api.get(url, token=tokens["monitor"]).json["signatures"]
    assert [s["state"] for s in listing] == ["valid", "valid"]


def test_the_api_refuses_missing_data_without_the_flag(app, api, tokens, keys):
    url = f"{API}/subjects/{keys['01']}/signatures"
    body = {"scope": "visit", "event_oid": "SE.SCREENING", "meaning": FORM_MEANING, "password": PASSWORD}
    refused = api.request("POST", url, token=tokens["investigator"], json=body)
    assert refused.status_code == 409 and "F.SLEHX" not in refused.json["error"]  # labels, not OIDs, of forms
    assert "Required data is missing" in refused.json["error"]
    assert api.request("POST", url, token=tokens["investigator"], json={**body, "despite_missing": True}
                       ).status_code == 201


@pytest.mark.parametrize("who", ["coordinator", "monitor", "data_manager", "sponsor", "admin", "coordinator2"])
def test_only_an_investigator_of_the_site_signs_through_the_api(app, api, tokens, keys, who):
    response = api.request("POST", f"{API}/subjects/{keys['01']}/signatures", token=tokens[who], json=SIGN)
    assert response.status_code == 403
    assert _count(app) == 0


def test_the_api_refuses_another_sites_subject(app, api, tokens, keys):
    response = api.request("POST", f"{API}/subjects/{keys['02']}/signatures", token=tokens["investigator"],
                           json={**SIGN, "scope": "casebook", "despite_missing": True})
    assert response.status_code == 403 and _count(app) == 0


def test_the_api_worklist_lists_outstanding_and_broken(app, api, tokens, keys):
    url = f"{API}/subjects/{keys['01']}/signatures"
    assert api.request("POST", url, token=tokens["investigator"], json=SIGN).status_code == 201
    work = api.get(f"{API}/signatures", token=tokens["data_manager"]).json
    assert {(o["subject"], o["scope"]) for o in work["outstanding"]} == {(keys["01"], "casebook"),
                                                                          (keys["01"], "visit")}
    assert work["broken"] == []
    from helpers import save as save_form

    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        from ecrf.audit.context import Actor, set_actor

        set_actor(db.session, Actor(None, "test", "system"))
        subject = db.session.scalar(select(Subject).where(Subject.key == keys["01"]))
        save_form(db.session, subject, "F.VS", vs_values(**{"I.VS.SPO2": "97"}), reason_code="TRANSCRIPTION")
        db.session.remove()
    work = api.get(f"{API}/signatures", token=tokens["data_manager"]).json
    (broken,) = work["broken"]
    assert broken["state"] == "broken" and broken["broken_by_change"]["items"] == ["I.VS.SPO2"]
