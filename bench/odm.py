"""ODM Transactional (archival, the whole audit trail) for 18 and for 180 subjects: seconds, peak memory, ratios.

    .venv/bin/python bench/odm.py [--url postgresql+psycopg://postgres@127.0.0.1/test] [--small 18] [--large 180]

The subjects. One fully populated synthetic subject is written through the ORM, so the real audit listener
records it: every visit to month 12 with its required forms and 20 adverse events, every item valued (one save
per visit), then every value corrected with a reason for change, one value in 40 cleared, the month-12 vital signs
"not done", and three signatures (casebook, day-28 visit, month-12 vital signs form). That subject is then cloned
row for row with Core inserts (events, forms, values, signatures), its audit records re-keyed to the clone and
appended with the real chain code (``ecrf.audit.chain.append``: sequence, time, HMAC chain), one append per moment
of the original, so every subject is the same size. Site 01 holds ``--small`` subjects and site 02 the rest: the
small export is ``--site 01``, the large one every site.

The measure. Each export runs in a fresh interpreter (``--child``) writing to /dev/null through the hashing
stream the command line uses: once for the time, once under tracemalloc for the peak of Python allocations (which
slows it, so it is not timed). libxml2 allocates outside tracemalloc's sight, so the child's resident set before
the export and its highest value sampled after each subject are printed too. Nothing is asserted; the ratios are.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import app_for, database  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

EVENTS = ("SE.SUBJECT", "SE.SCREENING", "SE.LEUKAPHERESIS", "SE.PRELD", "SE.LD1", "SE.LD2", "SE.LD3", "SE.D0",
          *(f"SE.D{n}" for n in range(1, 15)), "SE.D21", "SE.D28", "SE.M2", "SE.M3", "SE.M6", "SE.M9", "SE.M12")
ADVERSE_EVENTS = 20
REASON = json.dumps({"code": "TRANSCRIPTION", "note": "synthetic correction"})
MEANING = "I approve the data in this casebook as accurate and complete"


def _values(item, n: int) -> tuple[str, str]:
    """A first value and its correction, of the item's type and within its range."""
    kind = item.data_type.value
    if kind == "codelist":
        values = item.codelist.values
        return values[0], values[min(1, len(values) - 1)]
    if kind == "boolean":
        return "true", "false"
    if kind == "date":
        return "2026-01-15", "2026-01-16"
    if kind == "datetime":
        return "2026-01-15T09:00:00Z", "2026-01-15T09:30:00Z"
    if kind in ("integer", "float"):
        low = float(item.min) if item.min is not None else 0.0
        high = float(item.max) if item.max is not None else low + 100
        first, second = low + (high - low) / 3, low + (high - low) / 2
        if kind == "integer":
            return str(int(first)), str(int(second))
        places = item.decimals if item.decimals is not None else 1
        return f"{first:.{places}f}", f"{second:.{places}f}"
    return f"Synthetic text {n}", f"Synthetic text {n} (corrected)"


def populated_subject(session, site, coordinator, investigator):
    """The template subject, written through the ORM and the audit listener; returns it."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.capture.models import FormData, ItemData, StudyEventData
    from ecrf.signatures.coverage import Scope
    from ecrf.signatures.services import record_signature
    from ecrf.study.clock import utcnow
    from ecrf.study.definition import load
    from ecrf.study.types import NOT_DONE
    from ecrf.subjects.services import create_subject

    study = load()
    set_actor(session, Actor.of(coordinator))
    subject = create_subject(session, site)
    by_event: list[list] = []
    for day, event_oid in enumerate(EVENTS):
        event = StudyEventData(subject=subject, event_oid=event_oid, repeat_key=1, status="completed",
                               actual_date=date(2026, 1, 1) + timedelta(days=day))
        session.add(event)
        rows = []
        for ref in study.event(event_oid).forms:
            repeats = ADVERSE_EVENTS if ref.form_oid == "F.AE" else 1 if ref.required else 0
            for repeat in range(1, repeats + 1):
                form = FormData(event=event, form_oid=ref.form_oid, repeat_key=repeat, status="complete",
                                completed_at=utcnow())
                session.add(form)
                for n, item in enumerate(study.form(ref.form_oid).items):
                    first, second = _values(item, n)
                    row = ItemData(form=form, item_oid=item.oid, value=first)
                    session.add(row)
                    rows.append((item, row, second))
        session.flush()  # one save per visit: its records share a moment
        by_event.append(rows)
    session.info["audit_reason"] = REASON
    count = 0
    for rows in by_event:
        for item, row, second in rows:
            row.value = second
        session.flush()
    for rows in by_event:
        for item, row, _ in rows:
            count += 1
            if count % 40 == 0:
                row.value = None
            elif row.form.event.event_oid == "SE.M12" and NOT_DONE in item.missing_allowed:
                row.value, row.missing_code, row.missing_reason = None, NOT_DONE, "synthetic: device broken"
        session.flush()
    session.info.pop("audit_reason")
    set_actor(session, Actor.of(investigator))
    for scope in (Scope.casebook(), Scope.visit("SE.D28"), Scope.form("SE.M12", "F.VS")):
        record_signature(session, investigator, subject, scope, MEANING)
    session.commit()
    return subject


def clone(session, template, site) -> None:
    """A copy of ``template`` at ``site``: a new subject (through the service), its rows copied, its audit
    records re-keyed and appended through the chain, one append per moment of the original."""
    from ecrf.audit import chain
    from ecrf.audit.models import AuditEvent
    from ecrf.capture.models import FormData, ItemData, StudyEventData
    from ecrf.signatures.models import Signature
    from ecrf.subjects.services import create_subject

    subject = create_subject(session, site)
    connection = session.connection()
    shift: dict[str, int] = {}
    copied: dict[str, dict[int, int]] = {}
    parents = {"form_data": ("event_id", "study_event_data"), "item_data": ("form_id", "form_data")}
    for model in (StudyEventData, FormData, ItemData, Signature):
        table = model.__table__
        shift[table.name] = session.scalar(select(func.max(table.c.id))) or 0
        if model is StudyEventData or model is Signature:
            where = table.c.subject_id == template.id
        else:
            parent_column, parent = parents[table.name]
            where = table.c[parent_column].in_(list(copied[parent]))
        rows = [dict(r._mapping) for r in connection.execute(select(table).where(where))]
        copied[table.name] = {}
        for r in rows:
            new_id = r["id"] + shift[table.name]
            copied[table.name][r["id"]] = new_id
            r["id"] = new_id
            if "subject_id" in r:
                r["subject_id"] = subject.id
            if table.name in parents:
                column, parent = parents[table.name]
                r[column] = copied[parent][r[column]]
        if rows:
            connection.execute(insert(table), rows)
    fields = [c for c in AuditEvent.__table__.columns if c.name not in ("seq", "ts", "prev_hash", "hash")]
    records = connection.execute(select(*fields, AuditEvent.ts).where(
        AuditEvent.subject_key == template.key, AuditEvent.entity != "subject").order_by(AuditEvent.seq))
    for _, moment in groupby(records, key=lambda r: r.ts):
        rows = []
        for r in moment:
            row = dict(r._mapping)
            del row["ts"]
            row.update(subject_key=subject.key, site_code=site.code,
                       entity_key=subject.key + row["entity_key"][len(template.key):])
            if row["entity"] in copied and row["entity_id"]:
                row["entity_id"] = str(copied[row["entity"]][int(row["entity_id"])])
            rows.append(row)
        chain.append(connection, rows)


def build(url: str, small: int, large: int) -> float:
    from helpers import PASSWORD

    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import Site, User
    from ecrf.auth.services import create_site, create_user
    from ecrf.infra.extensions import db

    app = app_for(url)
    start = time.perf_counter()
    with app.app_context():
        session = db.session
        set_actor(session, Actor(None, "bench", "system"))
        one, two = create_site(session, "01", "Bench one", "Asia/Shanghai"), create_site(session, "02", "Bench two")
        create_user(session, "coordinator", "Bench Coordinator", "coordinator", ["01", "02"], PASSWORD)
        create_user(session, "investigator", "Bench Investigator", "investigator", ["01", "02"], PASSWORD)
        session.commit()
        people = {u.username: u for u in session.scalars(select(User))}
        template = populated_subject(session, one, people["coordinator"], people["investigator"])
        set_actor(session, Actor.of(people["coordinator"]))
        for n in range(1, large):
            clone(session, template, session.get(Site, one.id if n < small else two.id))
            session.commit()
        db.session.remove()
        db.engine.dispose()
    return time.perf_counter() - start


def child(url: str, site_code: str | None, trace: bool) -> None:
    """One export in this interpreter; prints JSON."""
    from ecrf.auth.models import Site
    from ecrf.exports.files import Hashing
    from ecrf.exports.kinds import Request, Run
    from ecrf.exports.odm import write_transactional
    from ecrf.infra.extensions import db

    app = app_for(url)
    with app.app_context(), open(os.devnull, "wb") as sink:
        stmt = select(Site.id) if site_code is None else select(Site.id).where(Site.code == site_code)
        request = Request("odm_transactional", "bench", "Bench", "data_manager", frozenset(db.session.scalars(stmt)))
        subjects: list[int] = []
        peak_rss = [_rss_kb()]

        def progress(done: int, total: int) -> None:
            subjects.append(total)
            peak_rss[0] = max(peak_rss[0], _rss_kb())

        run = Run(progress=progress)
        before = peak_rss[0]
        if trace:
            tracemalloc.start()
        start = time.perf_counter()
        out = Hashing(sink)
        write_transactional(db.session, request, run, out)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if trace else None
    print(json.dumps({"seconds": seconds, "bytes": out.size, "peak": peak, "rss_before_kb": before,
                      "rss_peak_kb": peak_rss[0], "subjects": subjects[-1] if subjects else 0}))


def _rss_kb() -> int:
    """The process's resident set now (Linux), libxml2's allocations included."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _measure(url: str, site_code: str | None, trace: bool) -> dict:
    args = [sys.executable, __file__, "--child", url, *(["--site", site_code] if site_code else []),
            *(["--trace"] if trace else [])]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--small", type=int, default=18)
    parser.add_argument("--large", type=int, default=180)
    parser.add_argument("--child")
    parser.add_argument("--site")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.site, args.trace)
    url, cleanup = database(args.url)
    try:
        built = build(url, args.small, args.large)
        print(f"built {args.large} subjects in {built:.0f} s ({args.small} at site 01)")
        rows = {}
        for label, site in ((args.small, "01"), (args.large, None)):
            timed, traced = _measure(url, site, False), _measure(url, site, True)
            rows[label] = (timed, traced)
            print(f"{timed['subjects']:>4} subjects: {timed['seconds']:6.2f} s, {timed['bytes'] / 1e6:7.1f} MB of XML, "
                  f"{timed['bytes'] / timed['seconds'] / 1e6:5.1f} MB/s; tracemalloc peak "
                  f"{traced['peak'] / 1e6:6.2f} MB; resident {timed['rss_before_kb'] / 1024:.0f} MB before, at most "
                  f"{timed['rss_peak_kb'] / 1024:.0f} MB during")
        (s_t, s_p), (l_t, l_p) = rows[args.small], rows[args.large]
        print(f"ratio {args.large}/{args.small} subjects: time {l_t['seconds'] / s_t['seconds']:.1f}x, "
              f"bytes {l_t['bytes'] / s_t['bytes']:.1f}x, tracemalloc peak {l_p['peak'] / s_p['peak']:.2f}x, "
              f"resident growth {(l_t['rss_peak_kb'] - l_t['rss_before_kb']) / 1024:.1f} MB vs "
              f"{(s_t['rss_peak_kb'] - s_t['rss_before_kb']) / 1024:.1f} MB")
    finally:
        cleanup()
        if args.url is None:  # the throw-away SQLite file (hundreds of MB at 180 subjects)
            shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)


if __name__ == "__main__":
    main()
