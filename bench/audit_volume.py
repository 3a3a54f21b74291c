"""The audit trail at 1,000,000 records: time of `ecrf audit verify`, and of the paginated audit pages.

    .venv/bin/python bench/audit_volume.py [--records 1000000] [--url postgresql+psycopg://postgres@127.0.0.1/test]

Records are appended with the real chain code (HMAC of canonical content + previous hash) over 1,000 subjects
(entity "synthetic": they stand for item changes without item rows, which verify's reconciliation would name);
one real subject owns 1 in 200 of them. The page timings compare the first page with a page deep in the trail
(keyset pagination should make them equal) and with a 1,000-record trail measured in the same run (the baseline).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_app, median_ms  # noqa: E402
from sqlalchemy import select, update  # noqa: E402


def append_synthetic(connection, count: int, subject_key: str, batch: int = 20_000) -> None:
    from ecrf.audit.chain import head_mac, record_hash
    from ecrf.audit.models import AuditEvent, AuditHead
    from ecrf.infra.config import current_audit_key
    from ecrf.study.clock import utcnow

    audit_key = current_audit_key()  # keyed records, as the application writes them

    head = AuditHead.__table__
    seq, prev = connection.execute(select(head.c.seq, head.c.hash)).one()
    now = utcnow()
    rows = []
    for n in range(count):
        seq += 1
        key = subject_key if n % 200 == 0 else f"99-S{n % 1000:03d}"
        row = {"seq": seq, "ts": now, "user_id": 1, "username": "coordinator", "role": "coordinator",
               "actor_sites": "01", "action": "update", "entity": "synthetic", "entity_id": str(n),
               "entity_key": f"{key}/SE.SCREENING[1]/F.VS[1]/I.VS.HR", "site_code": "01", "subject_key": key,
               "event_oid": "SE.SCREENING", "form_oid": "F.VS", "item_oid": "I.VS.HR", "old_value": str(60 + n % 40),
               "new_value": str(61 + n % 40), "reason": "Transcription error", "prev_hash": prev}
        row["hash"] = prev = record_hash(row, audit_key)
        rows.append(row)
        if len(rows) == batch:
            connection.execute(AuditEvent.__table__.insert(), rows)
            rows = []
    if rows:
        connection.execute(AuditEvent.__table__.insert(), rows)
    connection.execute(update(head).values(seq=seq, hash=prev, mac=head_mac(seq, prev, audit_key)))


def page_times(browser, key: str, deep_before: int | None, repeats: int = 20) -> tuple[float, float]:
    first, deep = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        assert browser.get(f"/subjects/{key}/audit").status_code == 200
        first.append(time.perf_counter() - start)
        if deep_before:
            start = time.perf_counter()
            assert browser.get(f"/subjects/{key}/audit?before={deep_before}").status_code == 200
            deep.append(time.perf_counter() - start)
    return median_ms(first), median_ms(deep) if deep else float("nan")


def run(url: str | None, records: int) -> None:
    from helpers import Browser, new_subject

    from ecrf.audit.chain import verify
    from ecrf.infra.extensions import db

    with bench_app(url, "monitor") as (app, url):
        with app.app_context():
            key = new_subject(db.session).key
            small = min(1000, records)
            with db.engine.begin() as connection:
                append_synthetic(connection, small, key)
        browser = Browser(app.test_client())
        browser.login("monitor")
        base_first, _ = page_times(browser, key, None)
        with app.app_context():
            start = time.perf_counter()
            with db.engine.begin() as connection:
                append_synthetic(connection, records - small, key)
            load_s = time.perf_counter() - start
            with db.engine.connect() as connection:
                start = time.perf_counter()
                result = verify(connection)
                verify_s = time.perf_counter() - start
        assert result.ok, result
        deep_before = result.count // 2
        first, deep = page_times(browser, key, deep_before)
        print(f"engine {url.split(':', 1)[0]}; {result.count:,} audit records (appended in {load_s:.0f} s)")
        print(f"  ecrf audit verify: {verify_s:.1f} s ({result.count / verify_s:,.0f} records/s), "
              f"head {result.head_hash[:16]}…")
        print(f"  subject audit page, first page: {first:.1f} ms; a page half-way back: {deep:.1f} ms")
        print(f"  same page with a 1,000-record trail (baseline): {base_first:.1f} ms; "
              f"ratio {result.count:,}-record trail / baseline {first / base_first:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url")
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    run(args.url, args.records)
