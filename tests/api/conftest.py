"""API fixtures: one token per role (plus broken ones), subjects at both sites, a small JSON client."""
from __future__ import annotations

from datetime import timedelta

import pytest
from api_helpers import ROLES, Api
from helpers import PASSWORD, new_subject
from sqlalchemy import select


@pytest.fixture
def api(app):
    return Api(app.test_client())


@pytest.fixture
def tokens(app, world):
    """Raw tokens by name: every role, coordinator2 (site 02), and broken ones (None for anonymous)."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User
    from ecrf.auth.services import create_user, set_active
    from ecrf.auth.tokens import issue, revoke
    from ecrf.infra.extensions import db
    from ecrf.study.clock import utcnow

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        user = {u.username: u for u in db.session.scalars(select(User))}
        out = {name: issue(db.session, user[name])[1] for name in (*ROLES, "coordinator2")}
        expired, out["expired"] = issue(db.session, user["coordinator"], expires_days=1)
        expired.expires_at = utcnow() - timedelta(seconds=1)
        revoked, out["revoked"] = issue(db.session, user["coordinator"])
        revoke(db.session, revoked)
        gone = create_user(db.session, "gone", "Gone Person", "coordinator", ["01"], PASSWORD)
        out["inactive"] = issue(db.session, gone)[1]
        set_active(db.session, gone, False)
        out["invalid"] = "ecrf_" + "x" * 43
        out["anonymous"] = None
        db.session.commit()
        db.session.remove()
    return out


@pytest.fixture
def keys(app, world):
    """Subject keys: ``keys["01"]`` at site 01, ``keys["02"]`` at site 02."""
    from ecrf.infra.extensions import db

    with app.app_context():
        out = {site: new_subject(db.session, site).key for site in ("01", "02")}
        db.session.remove()
    return out
