"""The efficacy page and its JSON twin: what they show, and who may see them (site scope as the subject's pages)."""
from __future__ import annotations

import pytest
from course import worked_case
from helpers import tokens_for_everyone

from ecrf.auth.permissions import API_MATRIX, MATRIX, STUDY

API = "/api/v1/subjects/{key}/efficacy"


@pytest.fixture
def worked(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject, _ = worked_case(db.session)
        key = subject.key
        db.session.remove()
    return key


def test_everyone_in_the_study_may_see_it_and_no_administrator():
    assert MATRIX["efficacy.subject"] == STUDY == API_MATRIX["api.subject_efficacy"]


def test_the_page_shows_each_visit_with_its_outcomes_and_the_courses(worked, as_role):
    browser = as_role("coordinator")
    casebook = browser.get(f"/subjects/{worked}").get_data(as_text=True)
    assert f'href="/subjects/{worked}/efficacy"' in casebook and 'data-testid="efficacy-link"' in casebook
    response = browser.get(f"/subjects/{worked}/efficacy")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="efficacy-SE.M3"' in page
    assert 'data-testid="doris-SE.M2" data-met="yes"' in page
    assert 'data-testid="doris-SE.D28" data-met="no"' in page and "PGA 0.5 (needs below 0.5)" in page
    assert 'data-testid="doris-SE.M6" data-met="unknown"' in page
    assert "cannot assess: Prednisone-equivalent dose" in page
    assert "2 new BILAG B (1 at most)" in page
    assert "First DORIS remission: day 60" in page and "first LLDAS: day 28" in page
    assert "First day of aplasia: 7" in page and "day 180" in page
    assert "45000.0 copies/µg DNA on day 10" in page and "M3 yes, M6 no, M12 not known yet" in page


@pytest.mark.parametrize("role", ["investigator", "monitor", "data_manager", "sponsor"])
def test_the_study_roles_of_the_site_see_it(worked, as_role, role):
    assert as_role(role).get(f"/subjects/{worked}/efficacy").status_code == 200


def test_another_site_and_the_administrator_do_not(worked, as_role):
    assert as_role("coordinator2").get(f"/subjects/{worked}/efficacy").status_code == 403
    assert as_role("admin").get(f"/subjects/{worked}/efficacy").status_code == 403
    assert as_role("coordinator").get("/subjects/01-S999/efficacy").status_code == 404


def test_the_api_answers_the_same_computation(app, worked):
    tokens = tokens_for_everyone(app)
    client = app.test_client()

    def get(user, key=worked):
        return client.get(API.format(key=key), headers={"Authorization": f"Bearer {tokens[user]}"})

    response = get("sponsor")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.json
    assert body["subject"] == worked and body["first_doris_day"] == 60 and body["first_lldas_day"] == 28
    visits = {v["event_oid"]: v for v in body["visits"]}
    assert visits["SE.SCREENING"]["sledai"] == 14 and visits["SE.SCREENING"]["csledai"] == 10
    assert visits["SE.D28"]["lldas"] == {"met": True, "reason": "met"}
    assert visits["SE.M6"]["doris"] == {"met": None, "reason": "cannot assess: Prednisone-equivalent dose"}
    assert visits["SE.M3"]["bilag"]["gastrointestinal"] == "B" and visits["SE.M3"]["prednisone_mg"] == 5.0
    assert body["bcell"]["aplasia_day"] == 7 and body["bcell"]["recovery_day"] == 180
    assert body["cart"]["peak_day"] == 10 and body["cart"]["persistence"] == {"M3": True, "M6": False, "M12": None}
    assert body["cart"]["values"][0] == {"study_day": 7, "value": 12000.0}
    assert get("coordinator2").status_code == 403
    assert get("admin").status_code == 403
    assert get("monitor", "01-S999").status_code == 404
