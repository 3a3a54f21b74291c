"""API tokens: stored only as hashes, created by the CLI or on the web, listed and revoked by owners and admins."""
from __future__ import annotations

import hashlib
import json
import re

import pytest
from api_helpers import API, audit_rows
from click.testing import CliRunner
from sqlalchemy import select


def _rows(app):
    from ecrf.auth.models import ApiToken
    from ecrf.infra.extensions import db

    with app.app_context():
        rows = db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        db.session.expunge_all()
        return rows


def _user_id(app, username):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def _everything_stored(app) -> str:
    """Every value of every table, as one string (to prove a token appears nowhere)."""
    from ecrf.infra.extensions import db

    with app.app_context():
        out = [repr(row) for table in db.metadata.sorted_tables
               for row in db.session.execute(table.select()).all()]
        return "\n".join(out)


def test_only_the_hash_is_stored(app, world):
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "monitor"))
        row, raw = issue(db.session, user, label="nightly export", expires_days=30)
        db.session.commit()
        db.session.remove()
    assert re.fullmatch(r"ecrf_[A-Za-z0-9_-]{43}", raw)
    stored = _rows(app)[0]
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.prefix == raw[:10] and stored.label == "nightly export"
    assert 29 <= (stored.expires_at - stored.created_at).days <= 30
    everything = _everything_stored(app)
    assert raw not in everything and raw[10:] not in everything
    created = audit_rows(app, entity="api_token", action="create")
    assert len(created) == 1 and created[0].entity_key == f"monitor/token {raw[:10]}"
    assert json.loads(created[0].new_value)["token_hash"] == "[redacted]"


@pytest.mark.parametrize("label, days", [("x" * 101, None), ("bad\x00label", None), ("ok", 0), ("ok", 3651)])
def test_bad_labels_and_expiries_are_refused(app, world, label, days):
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.errors import TokenError
    from ecrf.infra.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "monitor"))
        with pytest.raises(TokenError):
            issue(db.session, user, label=label, expires_days=days)
        db.session.rollback()


def test_cli_prints_a_working_token_once(app, world, api, db_url, monkeypatch, tmp_path):
    from ecrf.cli import main

    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "cli-test")
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    result = CliRunner().invoke(main, ["create-token", "--username", "investigator", "--expires-days", "7",
                                       "--label", "REDCap sync"])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip().splitlines()[-1]
    assert raw.startswith("ecrf_") and result.stdout.count(raw) == 1
    assert "expires" in result.stderr and raw[:10] in result.stderr
    assert api.get(API + "/study", token=raw).status_code == 200
    (row,) = _rows(app)
    assert (row.label, row.user_id, row.expires_at is not None) == ("REDCap sync", _user_id(app, "investigator"), True)
    created = audit_rows(app, entity="api_token", action="create")
    assert created[-1].username.startswith("cli:")
    assert CliRunner().invoke(main, ["create-token", "--username", "nobody"]).exit_code == 2
    assert CliRunner().invoke(main, ["create-token", "--username", "monitor", "--expires-days", "0"]).exit_code == 2
    assert len(_rows(app)) == 1


def _create_on_web(browser, label="my script", days="90"):
    response = browser.post("/account/tokens", {"label": label, "expires_days": days})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return re.search(r'data-testid="api-token">([^<]+)<', page).group(1)


def test_web_create_list_and_revoke(app, api, world, as_role):
    browser = as_role("coordinator")
    assert "API tokens" in browser.get("/subjects").get_data(as_text=True)  # the nav link
    raw = _create_on_web(browser)
    assert api.get(API + "/subjects", token=raw).status_code == 200
    page = browser.get("/account/tokens").get_data(as_text=True)
    assert raw[:10] in page and "my script" in page and raw not in page
    (row,) = _rows(app)
    assert browser.client.post(f"/account/tokens/{row.id}/revoke").status_code == 400  # no CSRF token
    assert api.get(API + "/subjects", token=raw).status_code == 200
    response = browser.post(f"/account/tokens/{row.id}/revoke")
    assert response.status_code == 302
    assert api.get(API + "/subjects", token=raw).status_code == 401
    assert "revoked" in browser.get("/account/tokens").get_data(as_text=True)
    (revoked,) = audit_rows(app, entity="api_token", action="update")
    assert revoked.username == "coordinator" and "revoked_at" in json.loads(revoked.new_value)


def test_web_creation_needs_csrf(app, world, as_role):
    browser = as_role("monitor")
    response = browser.client.post("/account/tokens", data={"label": "x", "expires_days": "90"})
    assert response.status_code == 400 and _rows(app) == []


def test_never_expiring_tokens_can_be_made(app, world, as_role):
    _create_on_web(as_role("monitor"), days="0")
    assert _rows(app)[0].expires_at is None


def test_users_see_and_revoke_only_their_own_tokens(app, api, world, as_role):
    mine, theirs = as_role("coordinator"), as_role("monitor")
    raw = _create_on_web(mine, label="coordinator's")
    (row,) = _rows(app)
    assert "coordinator&#39;s" not in theirs.get("/account/tokens").get_data(as_text=True)
    assert theirs.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert theirs.post("/account/tokens/999/revoke").status_code == 404
    assert api.get(API + "/subjects", token=raw).status_code == 200


def test_admins_see_and_revoke_everyones_tokens(app, api, world, as_role):
    raw = _create_on_web(as_role("coordinator"), label="coordinator's")
    admin = as_role("admin")
    page = admin.get("/account/tokens").get_data(as_text=True)
    assert "coordinator&#39;s" in page and raw[:10] in page
    (row,) = _rows(app)
    assert admin.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    assert api.get(API + "/subjects", token=raw).status_code == 401
    (revoked,) = audit_rows(app, entity="api_token", action="update")
    assert revoked.username == "admin" and revoked.entity_key == f"coordinator/token {raw[:10]}"


def test_a_deactivated_users_token_stops_working(app, api, world, as_role):
    from ecrf.auth.models import User
    from ecrf.auth.services import set_active
    from ecrf.infra.extensions import db

    raw = _create_on_web(as_role("monitor"))
    assert api.get(API + "/study", token=raw).status_code == 200
    with app.app_context():
        set_active(db.session, db.session.scalar(select(User).where(User.username == "monitor")), False)
        db.session.commit()
    assert api.get(API + "/study", token=raw).status_code == 401


def test_a_token_follows_its_users_current_role_and_sites(app, api, keys, as_role):
    from ecrf.auth.models import User
    from ecrf.auth.services import update_access
    from ecrf.infra.extensions import db

    raw = _create_on_web(as_role("monitor"))
    with app.app_context():
        update_access(db.session, db.session.scalar(select(User).where(User.username == "monitor")), "monitor",
                      ["01", "02"])
        db.session.commit()
    assert len(api.get(API + "/subjects", token=raw).json["subjects"]) == 2
    with app.app_context():
        update_access(db.session, db.session.scalar(select(User).where(User.username == "monitor")), "admin",
                      ["01", "02"])
        db.session.commit()
    assert api.get(API + "/study", token=raw).status_code == 403


def test_last_use_is_recorded_without_an_audit_record(app, api, world, as_role):
    raw = _create_on_web(as_role("monitor"))
    count = len(audit_rows(app))
    api.get(API + "/study", token=raw)
    assert _rows(app)[0].last_used_at is not None
    assert len(audit_rows(app)) == count
