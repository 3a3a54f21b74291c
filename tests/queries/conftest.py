"""Query fixtures: a stored vital-signs form at each site, users by role (a monitor at site 02 too), tokens."""
from __future__ import annotations

import pytest
from helpers import PASSWORD, new_subject, save, tokens_for_everyone, vs_values
from sqlalchemy import select

API = "/api/v1"


class Api:
    def __init__(self, client):
        self.client = client

    def call(self, method, url, token, body=None):
        return self.client.open(API + url, method=method, headers={"Authorization": f"Bearer {token}"}, json=body)


@pytest.fixture
def forms(app, world):
    """Subject keys with F.VS stored at SE.SCREENING: ``forms["01"]``, ``forms["02"]``; a monitor at site 02."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.services import create_user
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        create_user(db.session, "monitor2", "Other Monitor", "monitor", ["02"], PASSWORD)
        db.session.commit()
        out = {}
        for site in ("01", "02"):
            subject = new_subject(db.session, site)
            save(db.session, subject, "F.VS", vs_values())
            out[site] = subject.key
        db.session.remove()
    return out


@pytest.fixture
def users(app, world, forms):
    """A function: username -> the User, in the current session."""
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    return lambda name: db.session.scalar(select(User).where(User.username == name))


@pytest.fixture
def api(app):
    return Api(app.test_client())


@pytest.fixture
def tokens(app, forms):
    """A token for every user, by username."""
    return tokens_for_everyone(app)
