"""Fixtures: a migrated database per test (SQLite file copy, or a PostgreSQL database cloned from a
migrated template when ECRF_TEST_DATABASE_URL is set), the app, and a logged-in browser."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from helpers import PASSWORD, Browser, make_app
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# CI (CI=true) replays the same examples every run, so a red build always names a defect that can be replayed;
# a developer's run explores new examples each time and keeps what it finds in .hypothesis/.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

#: smtp_server / smtp_down: a real local SMTP server (aiosmtpd) for the mail tests
pytest_plugins = ["mail_server"]

PG_URL = os.environ.get("ECRF_TEST_DATABASE_URL")
# One audit chain key for the test process and what it starts (CLI runs, servers, writers), as a deployment
# has one; tests of the key's own lookup remove it.
os.environ.setdefault("ECRF_AUDIT_KEY", "test-audit-key-" + "k" * 48)
ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")


class Databases:
    """Hands out fresh migrated databases, cheaply, and removes them at the end."""

    def __init__(self, tmp: Path):
        from ecrf.infra.migrate import upgrade

        self.tmp, self.made = tmp, []
        self.prefix = f"ecrf_t{uuid.uuid4().hex[:8]}"
        if PG_URL:
            self.server = make_url(PG_URL)
            self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
            self.template = f"{self.prefix}_tpl"
            with self.admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{self.template}"'))
            engine = create_engine(self.server.set(database=self.template))
            upgrade(engine)
            engine.dispose()
        else:
            self.template = tmp / "template.sqlite"
            engine = create_engine(f"sqlite:///{self.template}")
            upgrade(engine)
            engine.dispose()

    def empty_url(self) -> str:
        """A URL for a database with nothing in it (for migration tests)."""
        name = f"{self.prefix}_{len(self.made)}"
        self.made.append(name)
        if PG_URL:
            with self.admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            return self.server.set(database=name).render_as_string(hide_password=False)
        return f"sqlite:///{self.tmp / (name + '.sqlite')}"

    def fresh_url(self) -> str:
        name = f"{self.prefix}_{len(self.made)}"
        self.made.append(name)
        if PG_URL:
            with self.admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            return self.server.set(database=name).render_as_string(hide_password=False)
        path = self.tmp / f"{name}.sqlite"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        if PG_URL:
            name = make_url(url).database
            with self.admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if PG_URL:
            with self.admin.connect() as c:
                for name in [*self.made, self.template]:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.close()


@pytest.fixture
def db_url(databases):
    url = databases.fresh_url()
    yield url
    databases.drop(url)


@pytest.fixture
def app(db_url, tmp_path):
    app = make_app(db_url, tmp_path / "instance")
    yield app
    from ecrf.infra.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    """The app's session inside an app context, acting as the CLI would."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test", "system"))
        yield db.session
        db.session.rollback()


@pytest.fixture
def world(app):
    """Two sites and one user per role at site 01 (plus a coordinator of site 02); returns ids."""
    return seed_world(app)


def seed_world(app) -> dict:
    """The ``world`` fixture's sites and users (for ``module_world`` and the benchmarks too)."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.services import create_site, create_user
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        create_site(db.session, "01", "Site one", "Asia/Shanghai")
        create_site(db.session, "02", "Site two", "Europe/Berlin")
        for role in ROLES:
            create_user(db.session, role, f"{role.title()} Person", role, [] if role == "admin" else ["01"], PASSWORD)
        create_user(db.session, "coordinator2", "Other Coordinator", "coordinator", ["02"], PASSWORD)
        db.session.commit()
        db.session.remove()
    return {"sites": ("01", "02")}


@pytest.fixture(scope="module")
def module_world(databases, tmp_path_factory):
    """An app on a database of its own with the ``world``'s sites and users, shared by the tests of a module
    (for a costly set-up the tests only read)."""
    from ecrf.infra.extensions import db

    url = databases.fresh_url()
    app = make_app(url, tmp_path_factory.mktemp("module") / "instance")
    seed_world(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


@pytest.fixture
def browser(app):
    return Browser(app.test_client())


@pytest.fixture
def as_role(app, world):
    """``as_role("coordinator")`` -> a Browser logged in with that role."""
    def login(username: str) -> Browser:
        b = Browser(app.test_client())
        response = b.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return b
    return login
