"""A bad value stored before entry refused it (a year below 1000 written as a non-ISO string) must never make
a page answer 500: the form, the audit pages, the casebook, the CSV and the API reads all show it as stored."""
from __future__ import annotations

import json

import pytest
from helpers import VS_URL, new_subject, save, vs_values
from sqlalchemy import select, text

from ecrf.audit import chain

ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")
#: what the old entry stored for "0202-11-25T10:00" (strftime drops the leading zero), and other legacy shapes
LEGACY = ("202-11-25T02:00:00Z", "9999-12-31T23:59:00Z", "0001-01-01T00:00:00+08:00", "0202-11-25T10:00:00Z",
          "0001-01-01T00:00:00Z", "-202-1-1", "garbage\u00e9")


def _legacy(session, subject, bad: str) -> None:
    """Put ``bad`` into the date-time item of the form and an audit record holding it, as a pre-fix row was."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.audit.trail import _row
    from ecrf.capture.models import ItemData

    row = session.scalar(select(ItemData).where(ItemData.item_oid == "I.VS.DTC"))
    old = row.value
    session.execute(text("UPDATE item_data SET value = :v WHERE id = :i"), {"v": bad, "i": row.id})
    set_actor(session, Actor(None, "coordinator", "coordinator", "01"))
    chain.append(session.connection(), [_row(session, "update", "item_data", row.id, row.audit_keys(), old, bad,
                                             '{"code":"TRANSCRIPTION"}')])
    session.commit()


def _urls(key: str) -> list[str]:
    form = VS_URL.format(key=key)
    return [form, f"/subjects/{key}", f"/subjects/{key}/audit", f"{form}/audit", f"{form}/items/I.VS.DTC/audit",
            f"/subjects/{key}/audit.csv", "/admin/audit",
            f"/api/v1/subjects/{key}", f"/api/v1/subjects/{key}/audit", f"/api/v1{form}", f"/api/v1{form}/audit",
            f"/api/v1{form}/items/I.VS.DTC/audit", f"/api/v1/subjects/{key}/casebook", "/screening-log",
            "/api/v1/screening-log", "/calendar", "/api/v1/calendar"]


@pytest.mark.parametrize("bad", LEGACY)
def test_every_page_shows_a_bad_legacy_value_to_every_role_without_a_500(app, world, as_role, bad):
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        save(db.session, subject, "F.VS", vs_values())
        key = subject.key
        _legacy(db.session, subject, bad)
        tokens = {u.role: issue(db.session, u)[1] for u in db.session.scalars(select(User))}
        db.session.commit()
        db.session.remove()
    for role in ROLES:
        browser, client = as_role(role), app.test_client()
        for url in _urls(key):
            if url.startswith("/api/"):
                response = client.get(url, headers={"Authorization": f"Bearer {tokens[role]}"})
            else:
                response = browser.get(url)
            assert response.status_code < 500, (role, url, response.get_data(as_text=True)[:300])
            if response.status_code == 200 and role in ("investigator", "coordinator") and "audit" in url:
                body = response.get_data(as_text=True)
                assert bad[:10] in body or json.dumps(bad)[1:-1] in body, (role, url)  # shown, as stored if unreadable
