"""Every route is in the permission matrix, and each role gets exactly what the matrix grants."""
from __future__ import annotations

import pytest
from helpers import new_subject

from ecrf.auth.permissions import MATRIX, PUBLIC

ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")


def _endpoints(app):
    return {rule.endpoint for rule in app.url_map.iter_rules() if not rule.endpoint.startswith("api.")}


def test_every_endpoint_is_declared_in_the_matrix(app):
    undeclared = _endpoints(app) - set(MATRIX) - PUBLIC
    assert undeclared == set()
    assert set(MATRIX) - _endpoints(app) == set(), "matrix names endpoints that do not exist"


@pytest.fixture
def urls(app, world):
    """One concrete URL (and method) per endpoint, for a subject of site 01."""
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    form = f"/subjects/{key}/events/SE.SCREENING/forms/F.VS"
    return {
        "auth.logout": ("POST", "/logout"),
        "auth.change_password": ("GET", "/account/password"),
        "auth.second_factor": ("GET", "/account/second-factor"),
        "web.about": ("GET", "/about"),
        "web.index": ("GET", "/"),
        "admin.users": ("GET", "/admin/users"),
        "admin.new_user": ("GET", "/admin/users/new"),
        "admin.edit_user": ("GET", "/admin/users/1"),
        "admin.send_reset_mail": ("POST", "/admin/users/2/reset"),
        "admin.set_active": ("POST", "/admin/users/3/active/1"),
        "admin.sites": ("GET", "/admin/sites"),
        "labs.laboratories": ("GET", "/admin/laboratories"),
        "labs.laboratory": ("GET", "/admin/laboratories/999"),
        "labs.edit_range": ("GET", "/admin/laboratories/999/ranges/999"),
        "subjects.index": ("GET", "/subjects"),
        "subjects.new": ("POST", "/subjects/new"),
        "subjects.casebook": ("GET", f"/subjects/{key}"),
        "capture.form": ("GET", form),
        "capture.save": ("POST", form),
        "audit.subject": ("GET", f"/subjects/{key}/audit"),
        "audit.form": ("GET", f"{form}/audit"),
        "audit.item": ("GET", f"{form}/items/I.VS.SPO2/audit"),
        "audit.subject_csv": ("GET", f"/subjects/{key}/audit.csv"),
        "audit.system": ("GET", "/admin/audit"),
        "capture.calculate": ("POST", f"{form}/calculate"),
        "consent.icf_versions": ("GET", "/icf-versions"),
        "consent.withdraw": ("POST", f"/subjects/{key}/withdraw"),
        "enrolment.eligibility": ("GET", f"/subjects/{key}/eligibility"),
        "enrolment.confirm": ("POST", f"/subjects/{key}/eligibility"),
        "enrolment.enrol": ("POST", f"/subjects/{key}/enrol"),
        "enrolment.screen_fail": ("POST", f"/subjects/{key}/screen-fail"),
        "enrolment.dose_levels": ("GET", "/dose-levels"),
        "enrolment.screening_log": ("GET", "/screening-log"),
        "visits.calendar": ("GET", "/calendar"),
        "dashboard.index": ("GET", "/dashboard"),
        "signatures.subject": ("GET", f"/subjects/{key}/signatures"),
        "signatures.sign": ("GET", f"/subjects/{key}/sign?scope=casebook"),
        "signatures.worklist": ("GET", "/signatures"),
        "visits.not_done": ("POST", f"/subjects/{key}/events/SE.D1/not-done"),
        "sdv.verify": ("POST", f"{form}/sdv"),
        "sdv.worklist": ("GET", "/sdv"),
        "sdv.progress": ("GET", "/sdv/progress"),
        "sdv.plans": ("GET", "/sdv/plans"),
        "sdv.set_plan": ("POST", "/sdv/plans/01"),
        "queries.worklist": ("GET", "/queries"),
        "queries.thread": ("GET", "/queries/999"),
        "queries.raise_query": ("POST", f"{form}/items/I.VS.HR/queries"),
        "queries.answer": ("POST", "/queries/999/answer"),
        "queries.close": ("POST", "/queries/999/close"),
        "queries.cancel": ("POST", "/queries/999/cancel"),
        "queries.reopen": ("POST", "/queries/999/reopen"),
        "tokens.index": ("GET", "/account/tokens"),
        "tokens.revoke": ("POST", "/account/tokens/999/revoke"),
        "locks.index": ("GET", f"/locks?subject={key}"),
        "locks.create": ("POST", "/locks"),
        "locks.undo": ("POST", "/locks/999/undo"),
        "exports.index": ("GET", "/exports"),
        "exports.submit": ("POST", "/exports"),
        "exports.status": ("GET", "/exports/999/status"),
        "exports.download": ("GET", "/exports/999/download"),
        "exports.casebook": ("GET", f"/subjects/{key}/casebook.pdf"),
        "exports.blank_crf": ("GET", "/crf/blank.pdf"),
        "exports.annotated_crf": ("GET", "/crf/annotated.pdf"),
        "exports.verify": ("POST", "/exports/verify"),
        "charts.subject": ("GET", f"/subjects/{key}/charts"),
        "charts.cohort": ("GET", "/charts"),
        "safety.saes": ("GET", "/safety/saes"),
        "efficacy.subject": ("GET", f"/subjects/{key}/efficacy"),
    }


def test_the_url_table_covers_every_matrix_endpoint(urls):
    assert set(urls) == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(app, urls, as_role, role):
    browser = as_role(role)
    for endpoint, (method, url) in urls.items():
        if endpoint == "auth.logout":
            continue
        response = browser.get(url) if method == "GET" else browser.post(url, {"site": "01"})
        if role in MATRIX[endpoint]:
            assert response.status_code != 403, (endpoint, role)
            assert response.status_code < 500, (endpoint, role)
        else:
            assert response.status_code == 403, (endpoint, role, response.status_code)


def test_anonymous_users_are_sent_to_login_everywhere(app, urls):
    client = app.test_client()
    for endpoint, (method, url) in urls.items():
        response = client.get(url) if method == "GET" else client.post(url)
        # POSTs without a CSRF token are refused before anything else; GETs redirect to the login page
        assert response.status_code in (302, 400), (endpoint, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"]
    assert client.get("/health").status_code == 200
    assert client.get("/login").status_code == 200
