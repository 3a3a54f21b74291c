"""The dashboard through the API: each study role's board, the same figures as the web page."""
from __future__ import annotations

import pytest
from api_helpers import API


@pytest.fixture
def monitored(app, keys):
    from sqlalchemy import select

    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject
    from tests.casebook.test_dashboards import _monitoring
    from tests.helpers import save, vs_values

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        subject = db.session.scalar(select(Subject).where(Subject.key == keys["01"]))
        save(db.session, subject, "F.VS", vs_values(**{"I.VS.DTC": "2026-11-02T09:00"}))
        _monitoring(db.session, subject)
        db.session.remove()
    return keys["01"]


def test_each_role_gets_its_board_with_the_work_on_it(api, tokens, monitored):
    site = api.get(API + "/dashboard", token=tokens["investigator"]).json
    assert site["board"] == "site" and site["site"]["queries"]["open"] == 1
    assert site["site"]["broken_signatures"] == 1 and site["monitor"] is None
    coordinator = api.get(API + "/dashboard", token=tokens["coordinator"]).json["site"]
    assert coordinator["broken_signatures"] is None  # only investigators sign
    monitor = api.get(API + "/dashboard", token=tokens["monitor"]).json["monitor"]
    row = next(s for s in monitor["subjects"] if s["subject"] == monitored)
    assert row["sdv"]["changed"] == 1 and row["queries"]["open"] == 1
    manager = api.get(API + "/dashboard", token=tokens["data_manager"]).json["data_manager"]
    assert manager["active_locks"] == 1 and manager["broken_signatures"] == 1
    assert manager["open_query_ageing"] == {"0-7": 1, "8-14": 0, "15-30": 0, "31+": 0}
    sponsor = api.get(API + "/dashboard", token=tokens["sponsor"])
    assert sponsor.json["sponsor"]["target"] == 18 and sponsor.json["sponsor"]["queries"]["open"] == 1
    assert monitored not in sponsor.get_data(as_text=True)  # counts only


def test_another_sites_staff_see_none_of_it(api, tokens, monitored):
    board = api.get(API + "/dashboard", token=tokens["coordinator2"]).json["site"]
    assert board["queries"]["open"] == 0 and board["missing_forms"] == 0
