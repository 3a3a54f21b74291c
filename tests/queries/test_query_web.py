"""Queries on the web: each step by each role (allowed, refused), the form page's badges and controls, worklists,
bad input answered with a 4xx that changes nothing."""
from __future__ import annotations

import pytest
from qhelpers import ROLES, START, make_query, snapshot

FORM = "/subjects/{key}/events/SE.SCREENING/forms/F.VS"
SITE_STAFF = {"investigator", "coordinator"}


def _make(app, key, raiser="monitor", state="open", **kw):
    from ecrf.infra.extensions import db

    with app.app_context():
        qid = make_query(db.session, key, raiser, state, **kw)
        db.session.remove()
    return qid


def _snap(app):
    from ecrf.infra.extensions import db

    with app.app_context():
        out = snapshot(db.session)
        db.session.remove()
    return out


def _state(app, qid):
    from ecrf.infra.extensions import db
    from ecrf.queries.models import Query

    with app.app_context():
        state = db.session.get(Query, qid).state
        db.session.remove()
    return state


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("raiser", ["monitor", "data_manager", "system"])
@pytest.mark.parametrize("step", START)
def test_each_step_by_each_role(app, forms, as_role, step, raiser, role):
    qid = _make(app, forms["01"], raiser, START[step])
    browser = as_role(role)
    before = _snap(app)
    response = browser.post(f"/queries/{qid}/{step}", {"text": "because"})
    owners = {"monitor", "data_manager"} if raiser == "system" else {raiser}
    if (role in SITE_STAFF) if step == "answer" else (role in owners):
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        assert _state(app, qid) == {"answer": "answered", "close": "closed", "cancel": "cancelled",
                                    "reopen": "open"}[step]
    else:
        assert response.status_code == 403
        assert _snap(app) == before


@pytest.mark.parametrize("role", ROLES)
def test_raising_by_each_role(app, forms, as_role, role):
    browser = as_role(role)
    before = _snap(app)
    response = browser.post(FORM.format(key=forms["01"]) + "/items/I.VS.HR/queries", {"text": "Source?"})
    if role in ("monitor", "data_manager"):
        assert response.status_code == 302 and "#item-I.VS.HR" not in response.headers["Location"]
        assert _snap(app)[1] == before[1] + 1
    else:
        assert response.status_code == 403 and _snap(app) == before


@pytest.mark.parametrize("url,data,status", [
    ("/items/I.VS.NOPE/queries", {"text": "x"}, 404),
    ("/items/I.CHEM.CREAT/queries", {"text": "x"}, 404),
    ("/items/I.VS.HR/queries", {"text": "  "}, 422),
    ("/items/I.VS.HR/queries", {}, 422),
])
def test_bad_raises_are_4xx_and_change_nothing(app, forms, as_role, url, data, status):
    monitor = as_role("monitor")
    before = _snap(app)
    response = monitor.post(FORM.format(key=forms["01"]) + url, data)
    assert response.status_code == status
    assert _snap(app) == before


def test_a_form_not_stored_yet_takes_no_query(app, forms, as_role):
    response = as_role("monitor").post(f"/subjects/{forms['01']}/events/SE.D1/forms/F.VS/items/I.VS.HR/queries",
                                       {"text": "x"})
    assert response.status_code == 404


def test_bad_steps_are_4xx_with_a_message_and_change_nothing(app, forms, as_role):
    qid = _make(app, forms["01"])
    monitor, coordinator, dm = as_role("monitor"), as_role("coordinator"), as_role("data_manager")
    before = _snap(app)
    response = monitor.post(f"/queries/{qid}/reopen", {"text": "x"})
    assert response.status_code == 409 and "cannot be re-opened" in response.get_data(as_text=True)
    assert coordinator.post(f"/queries/{qid}/answer", {"text": ""}).status_code == 422
    dm = dm.post(f"/queries/{qid}/close", {"text": "x"})
    assert dm.status_code == 403 and "only a monitor may close it" in dm.get_data(as_text=True)
    assert monitor.post("/queries/99999/close", {"text": "x"}).status_code == 404
    assert _snap(app) == before


def test_another_sites_subject_is_refused(app, forms, as_role):
    qid = _make(app, forms["01"])
    c2, m2, m1 = as_role("coordinator2"), as_role("monitor2"), as_role("monitor")
    before = _snap(app)
    assert c2.post(f"/queries/{qid}/answer", {"text": "x"}).status_code == 403
    assert c2.get(f"/queries/{qid}").status_code == 403
    assert m2.post(f"/queries/{qid}/close", {"text": "x"}).status_code == 403
    assert m1.post(FORM.format(key=forms["02"]) + "/items/I.VS.HR/queries",
                                   {"text": "x"}).status_code == 403
    assert _snap(app) == before
    assert f"query-row-{qid}" not in m2.get("/queries?state=").get_data(as_text=True)


def test_the_form_page_shows_badges_threads_and_the_controls_for_the_role(app, forms, as_role):
    qid = _make(app, forms["01"], item="I.VS.DIABP")
    url = FORM.format(key=forms["01"])
    monitor = as_role("monitor").get(url).get_data(as_text=True)
    assert 'data-testid="query-badge-I.VS.DIABP">1 open' in monitor
    assert "Please check against the source." in monitor
    assert 'data-testid="raise-I.VS.HR"' in monitor and f'data-testid="query-{qid}-close"' in monitor
    assert f'data-testid="query-{qid}-answer"' not in monitor
    coordinator = as_role("coordinator").get(url).get_data(as_text=True)
    assert f'data-testid="query-{qid}-answer"' in coordinator and 'data-testid="raise-I.VS.HR"' not in coordinator
    sponsor = as_role("sponsor").get(url).get_data(as_text=True)
    assert 'data-testid="query-badge-I.VS.DIABP">1 open' in sponsor
    assert "Please check against the source." not in sponsor and f'data-testid="query-{qid}' not in sponsor
    # answering from the form page comes back to the item
    response = as_role("coordinator").post(f"/queries/{qid}/answer", {"text": "Checked.", "back": "form"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#item-I.VS.DIABP")


def test_worklists(app, forms, as_role):
    open_q = _make(app, forms["01"], item="I.VS.HR")
    answered = _make(app, forms["01"], "data_manager", "answered")
    site = as_role("coordinator").get("/queries").get_data(as_text=True)
    assert f"query-row-{open_q}" in site and f"query-row-{answered}" not in site  # the site's: what to answer
    monitor = as_role("monitor").get("/queries").get_data(as_text=True)
    assert f"query-row-{open_q}" in monitor and f"query-row-{answered}" in monitor
    filtered = as_role("monitor").get("/queries?state=answered&site=01&form=F.VS").get_data(as_text=True)
    assert f"query-row-{open_q}" not in filtered and f"query-row-{answered}" in filtered
    assert as_role("monitor").get("/queries?state=bogus").status_code == 400
    assert as_role("monitor").get("/queries?age=x").status_code == 400
    sponsor = as_role("sponsor").get("/queries")
    page = sponsor.get_data(as_text=True)
    assert sponsor.status_code == 200 and "query-row-" not in page and 'data-testid="counts-study"' in page
    assert as_role("sponsor").get(f"/queries/{open_q}").status_code == 403
    thread = as_role("investigator").get(f"/queries/{open_q}")
    assert thread.status_code == 200 and "Please check against the source." in thread.get_data(as_text=True)
