"""The laboratory admin pages: data management and administrators list, add and change ranges (with the reason,
CSRF-checked); a data manager only at their own sites; a bad entry is shown at its field, nothing stored."""
from __future__ import annotations

import pytest
from helpers import statements
from sqlalchemy import select

from ecrf.auth.models import Site
from ecrf.labs import services
from ecrf.labs.demo_ranges import seed_demo_ranges
from ecrf.labs.models import Laboratory, NormalRange

RANGE = {"analyte": "I.CHEM.AST", "unit": "", "low": "", "high": "40", "effective_from": "2025-01-01",
         "effective_to": "", "age_min": "18", "age_max": "", "sex": "", "reason": ""}


def _lab(app, site="01"):
    from ecrf.infra.extensions import db

    with app.app_context():
        lab = services.create_laboratory(db.session, db.session.scalar(select(Site).where(Site.code == site)),
                                         "LAB1", "Hospital lab")
        db.session.commit()
        return lab.id


@pytest.mark.parametrize("role", ["coordinator", "investigator", "monitor", "sponsor"])
def test_other_roles_are_refused(app, as_role, role):
    assert as_role(role).get("/admin/laboratories").status_code == 403


def test_a_data_manager_adds_a_laboratory_and_a_range_then_changes_it_with_a_reason(app, as_role):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    dm = as_role("data_manager")
    r = dm.post("/admin/laboratories", {"site": "01", "code": "LAB1", "name": "Hospital lab"})
    assert r.status_code == 302
    with app.app_context():
        lab_id = db.session.scalar(select(Laboratory.id).where(Laboratory.code == "LAB1"))
    assert dm.post(f"/admin/laboratories/{lab_id}", RANGE).status_code == 302
    page = dm.get(f"/admin/laboratories/{lab_id}").get_data(as_text=True)
    assert "AST" in page and "U/L" in page
    with app.app_context():
        rng = db.session.scalar(select(NormalRange))
        assert (rng.unit, rng.high, rng.age_min) == ("U/L", "40", 18)  # empty unit: the CRF unit
        range_id = rng.id
    url = f"/admin/laboratories/{lab_id}/ranges/{range_id}"
    assert "40" in dm.get(url).get_data(as_text=True)
    refused = dm.post(url, {**RANGE, "high": "45"})  # no reason
    assert refused.status_code == 200 and "Give the reason" in refused.get_data(as_text=True)
    assert dm.post(url, {**RANGE, "high": "45", "reason": "new analyser"}).status_code == 302
    with app.app_context():
        assert db.session.get(NormalRange, range_id).high == "45"
        row = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "normal_range",
                                                          AuditEvent.action == "update")).one()
        assert row.reason == "new analyser" and "40" in row.old_value and "45" in row.new_value
        assert row.username == "data_manager"


@pytest.mark.parametrize(("field", "value"), [("high", "abc"), ("effective_from", "2025-13-01"), ("age_min", "x"),
                                              ("unit", "mmol/L"), ("high", "")])
def test_a_bad_entry_is_shown_at_its_field_and_nothing_is_stored(app, as_role, field, value):
    from ecrf.infra.extensions import db

    lab_id = _lab(app)
    r = as_role("data_manager").post(f"/admin/laboratories/{lab_id}", {**RANGE, field: value})
    assert r.status_code == 200 and f'data-testid="error-{field}"' in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(NormalRange.id)) is None


def test_without_the_csrf_token_nothing_is_stored(app, as_role):
    from ecrf.infra.extensions import db

    lab_id = _lab(app)
    browser = as_role("data_manager")
    r = browser.client.post(f"/admin/laboratories/{lab_id}", data=RANGE)
    assert r.status_code in (200, 400)
    with app.app_context():
        assert db.session.scalar(select(NormalRange.id)) is None


def test_a_data_manager_sees_only_their_sites_laboratories(app, as_role):
    lab_id = _lab(app, "02")  # the world's data manager is at site 01
    dm = as_role("data_manager")
    assert dm.get(f"/admin/laboratories/{lab_id}").status_code == 404
    assert as_role("admin").get(f"/admin/laboratories/{lab_id}").status_code == 200


def test_the_pages_do_not_query_per_range(app, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        seed_demo_ranges(db.session, db.session.scalar(select(Site).where(Site.code == "01")))
        db.session.commit()
        lab_id = db.session.scalar(select(Laboratory.id))
    admin = as_role("admin")
    with app.app_context(), statements(db.session) as seen:
        assert admin.get(f"/admin/laboratories/{lab_id}").status_code == 200
        assert admin.get("/admin/laboratories").status_code == 200
    assert len(seen) < 25, len(seen)
