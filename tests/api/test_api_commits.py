"""One request, one commit: the token's last_used_at touch joins the request's unit of work."""
from __future__ import annotations

from contextlib import contextmanager

from api_helpers import API, audit_rows
from sqlalchemy import event, select


@contextmanager
def _commits(app):
    """Counts the database COMMITs while the block runs."""
    from ecrf.infra.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[int] = []

    def count(conn):
        seen.append(1)

    event.listen(engine, "commit", count)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", count)


def _last_used(app, username):
    from ecrf.auth.models import ApiToken, User
    from ecrf.infra.extensions import db

    with app.app_context():
        value = db.session.scalar(select(ApiToken.last_used_at).join(User).where(User.username == username)
                                  .order_by(ApiToken.id))
        db.session.remove()
        return value


def test_an_authenticated_post_commits_once_with_the_token_touch(app, api, tokens):
    assert _last_used(app, "coordinator") is None  # a fresh token: this request touches it
    with _commits(app) as seen:
        response = api.request("POST", API + "/subjects", token=tokens["coordinator"], json={"site": "01"})
    assert response.status_code == 201, response.json
    assert len(seen) == 1
    assert _last_used(app, "coordinator") is not None  # the touch was part of that commit


def test_a_read_commits_the_touch_once_and_then_nothing(app, api, tokens):
    with _commits(app) as seen:
        assert api.get(API + "/study", token=tokens["monitor"]).status_code == 200
    assert len(seen) == 1 and _last_used(app, "monitor") is not None
    with _commits(app) as seen:  # touched a moment ago: nothing to write
        assert api.get(API + "/study", token=tokens["monitor"]).status_code == 200
    assert seen == []


def test_a_refused_write_keeps_the_touch_in_its_one_commit(app, api, tokens, keys):
    with _commits(app) as seen:
        response = api.request("POST", API + f"/subjects/{keys['01']}/screen-failure", token=tokens["investigator"],
                               json={"reason": "   "})
    assert response.status_code == 409, response.json
    assert len(seen) == 1 and _last_used(app, "investigator") is not None


def test_a_failed_signature_commits_its_audit_record_and_the_touch_once(app, api, tokens, keys):
    with _commits(app) as seen:
        response = api.request("POST", API + f"/subjects/{keys['01']}/eligibility", token=tokens["investigator"],
                               json={"password": "wrong"})
    assert response.status_code == 403, response.json
    assert len(seen) == 1 and _last_used(app, "investigator") is not None
    assert len(audit_rows(app, action="signature_failed", entity="eligibility_review")) == 1
