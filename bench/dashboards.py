"""Each role's dashboard at 1,000 subjects, against the subject list of the same subjects (the baseline).

    .venv/bin/python bench/dashboards.py [--subjects 1000] [--url postgresql+psycopg://postgres@127.0.0.1/test]

Subjects are created through the services (consent, vital signs); one in ten gets monitoring data (a query,
SDV of its vital signs and a value changed since, a broken casebook signature). Each page is fetched through the
web view by a logged-in user of the role, 20 times; the medians are compared with the subject list page
(``/subjects``, one query over the same subjects) measured in the same run, and the SQL statements per page are
printed: they must not depend on the number of subjects.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_app, median_ms  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

ROLES = ("coordinator", "investigator", "monitor", "data_manager", "sponsor")


def _seed(db, subjects: int) -> None:
    from helpers import PASSWORD, consent, save, vs_values

    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import Site
    from ecrf.auth.services import create_user
    from ecrf.subjects.services import create_subject
    from tests.casebook.test_dashboards import _monitoring

    set_actor(db.session, Actor(None, "bench", "system"))
    for role in ROLES[1:]:
        create_user(db.session, role, f"Bench {role}", role, ["01"], PASSWORD)
    db.session.commit()
    site = db.session.scalar(select(Site).where(Site.code == "01"))
    for n in range(subjects):
        subject = create_subject(db.session, site)
        db.session.commit()
        consent(db.session, subject)
        save(db.session, subject, "F.VS", vs_values(**{"I.VS.DTC": "2026-11-02T09:00"}))
        if n % 10 == 0:
            _monitoring(db.session, subject)
        if n % 100 == 99:
            print(f"  {n + 1} subjects", flush=True)


def run(url: str | None, subjects: int, repeats: int = 20) -> None:
    from helpers import Browser

    from ecrf.infra.extensions import db

    with bench_app(url, "coordinator") as (app, url):
        started = time.perf_counter()
        with app.app_context():
            _seed(db, subjects)
        print(f"seeded {subjects} subjects in {time.perf_counter() - started:.0f} s")
        statements: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

        def timed(browser, path: str) -> tuple[float, int]:
            samples, counted = [], 0
            for _ in range(repeats):
                statements.clear()
                start = time.perf_counter()
                response = browser.get(path)
                samples.append(time.perf_counter() - start)
                assert response.status_code == 200, (path, response.status_code)
                counted = len(statements)
            return median_ms(samples), counted

        engine = url.split(":", 1)[0]
        print(f"engine {engine}; {subjects} subjects at one site; medians of {repeats} requests via the web view")
        for role in ROLES:
            browser = Browser(app.test_client())
            browser.login(role)
            base, base_sql = timed(browser, "/subjects")
            board, board_sql = timed(browser, "/dashboard")
            print(f"  {role:13s} dashboard {board:8.1f} ms ({board_sql:3d} SQL)   subject list {base:7.1f} ms "
                  f"({base_sql:3d} SQL)   ratio {board / base:5.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    run(args.url, args.subjects, args.repeats)
