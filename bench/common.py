"""Shared set-up for the benchmarks: a migrated throw-away database and a seeded site."""
from __future__ import annotations

import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def database(url: str | None) -> tuple[str, callable]:
    """A fresh migrated database (SQLite file by default, or a new database on the given PostgreSQL server)."""
    from ecrf.infra.migrate import upgrade

    if url is None:
        path = Path(tempfile.mkdtemp()) / "bench.sqlite"
        url = f"sqlite:///{path}"
        cleanup = lambda: None  # noqa: E731
    else:
        server = make_url(url)
        name = f"ecrf_bench_{int(time.time())}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)

        def cleanup():
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url, cleanup


def app_for(url: str):
    from ecrf.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "INSTANCE_PATH": tempfile.mkdtemp(),
                       "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})


def seed_site_and_user(role: str) -> None:
    """Site 01 (Shanghai) and one user named after ``role``, inside an app context."""
    from helpers import PASSWORD

    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.services import create_site, create_user
    from ecrf.infra.extensions import db

    set_actor(db.session, Actor(None, "bench", "system"))
    create_site(db.session, "01", "Bench", "Asia/Shanghai")
    create_user(db.session, role, f"Bench {role}", role, ["01"], PASSWORD)
    db.session.commit()


@contextmanager
def bench_app(url: str | None, role: str):
    """(app, url) on a fresh migrated database with site 01 and a ``role`` user; everything removed afterwards."""
    from ecrf.infra.extensions import db

    url, cleanup = database(url)
    try:
        app = app_for(url)
        with app.app_context():
            seed_site_and_user(role)
        yield app, url
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000
