"""Time to save a 30-item form, with and without the audit listener, measured in the same run.

    .venv/bin/python bench/save_form.py [--url postgresql+psycopg://postgres@127.0.0.1/test] [--saves 200]

Each save changes every one of the 30 values (the worst case for the audit trail: 30 records per save) and goes
through the web view with the test client, as a coordinator. Prints medians and the ratio audited / not audited.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_app, median_ms  # noqa: E402
from sqlalchemy import event  # noqa: E402

FORM = "F.CHEM"


def _values(n: int, items) -> dict:
    values = {}
    for item in items:
        if item.oid.endswith(".DTC"):
            values[item.oid] = "2026-11-20"
        elif item.data_type.value in ("float", "integer") and not item.calculated:
            low = float(item.min if item.min is not None else 0)
            high = float(item.max if item.max is not None else low + 100)
            span = (high - low) or 1
            v = low + span * ((n % 50) + 1) / 60
            values[item.oid] = str(int(v)) if item.data_type.value == "integer" else f"{v:.1f}"
    return values


def run(url: str | None, saves: int) -> None:
    from helpers import Browser, new_subject
    from sqlalchemy.orm import Session

    from ecrf.audit import trail
    from ecrf.infra.extensions import db
    from ecrf.study.definition import load

    with bench_app(url, "coordinator") as (app, url):
        with app.app_context():
            keys = [new_subject(db.session).key for _ in range(2)]
        items = [i for i in load().form(FORM).items if not i.calculated]
        numeric = [i for i in items if i.data_type.value in ("float", "integer")]
        chosen = ([i for i in items if i.oid.endswith(".DTC")] + numeric)[:30]
        browser = Browser(app.test_client())
        browser.login("coordinator")
        queries = []

        def timed(key: str, audited: bool) -> list[float]:
            url_ = f"/subjects/{key}/events/SE.SCREENING/forms/{FORM}"
            samples, version = [], 0
            for n in range(saves):
                data = {**_values(n, chosen), "I.CHEM.CLSIG": "false", "version": str(version),
                        "reason_code": "TRANSCRIPTION"}
                start = time.perf_counter()
                response = browser.post(url_, data)
                samples.append(time.perf_counter() - start)
                assert response.status_code == 302, response.status_code
                version += 1
            return samples

        count = lambda *a: queries.append(a[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
        audited = timed(keys[0], True)
        per_save_audited = len(queries) / saves
        queries.clear()
        event.remove(Session, "after_flush", trail._write_audit)
        try:
            plain = timed(keys[1], False)
        finally:
            event.listen(Session, "after_flush", trail._write_audit)
        per_save_plain = len(queries) / saves
        engine = url.split(":", 1)[0]
        print(f"engine {engine}; form {FORM}, {len(chosen)} items changed per save, {saves} saves each, "
              "via the web view")
        print(f"  with audit trail:    median {median_ms(audited):7.2f} ms/save, "
              f"{per_save_audited:.1f} SQL statements/save")
        print(f"  without audit trail: median {median_ms(plain):7.2f} ms/save, "
              f"{per_save_plain:.1f} SQL statements/save")
        print(f"  ratio audited/plain: {median_ms(audited) / median_ms(plain):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--saves", type=int, default=200)
    args = parser.parse_args()
    run(args.url, args.saves)
