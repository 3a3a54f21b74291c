"""Time to make one fully populated subject's casebook PDF, against the floor: reportlab laying out the same text
(every line the casebook holds) as plain Paragraphs, no tables, measured in the same run; and the whole export
of 18 such subjects (the enrolment cap) as one zip.

    .venv/bin/python bench/casebook_pdf.py [--runs 5] [--url postgresql+psycopg://postgres@127.0.0.1/test]
                                           [--fresh] [--profile]

The subjects are built by tests/populated.py through the application's services (every visit to month 12, about
2,600 values and 5,000 audit records each, 20 AEs, queries, SDV, signatures); on SQLite the populated database is
kept under the system's temporary folder for the day (--fresh builds it again). Prints medians in seconds, the
ratio to the floor, the SQL statements per casebook, and the seal's share; --profile prints a pyinstrument
profile of one casebook (pip install -e .[bench]).
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import io
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from common import app_for, database  # noqa: E402

SUBJECTS = 18


def _cache_file() -> Path:
    """The day's populated database for this version of the builder (its dates are relative to today)."""
    code = hashlib.sha256((ROOT / "tests" / "populated.py").read_bytes()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"ecrf-bench-casebooks-{date.today()}-{code}.sqlite"


def _populate(app, count: int) -> None:
    from conftest import seed_world
    from helpers import new_subject
    from populated import populate

    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db

    seed_world(app)
    with app.app_context():
        set_actor(db.session, Actor(None, "bench", "system"))
        for n in range(count):
            started = time.perf_counter()
            populate(db.session, new_subject(db.session, consented=False))
            print(f"  populated subject {n + 1}/{count} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        db.session.remove()
        db.engine.dispose()


def _prepared(url: str | None, fresh: bool):
    """(app, cleanup) over a database holding the populated subjects."""
    if url is None:
        cached = _cache_file()
        if fresh or not cached.exists():
            built, _ = database(None)
            _populate(app_for(built), SUBJECTS)
            shutil.copyfile(built.removeprefix("sqlite:///"), cached)
        work = Path(tempfile.mkdtemp()) / "bench.sqlite"
        shutil.copyfile(cached, work)  # the exports only read; a copy keeps the cache as built
        return app_for(f"sqlite:///{work}"), lambda: shutil.rmtree(work.parent, ignore_errors=True)
    url, cleanup = database(url)
    app = app_for(url)
    _populate(app, SUBJECTS)
    return app, cleanup


class Timed:
    """Wall-clock seconds of repeated runs: the median, and the fastest (the least disturbed by other work on a
    shared machine)."""

    def __init__(self, fn, runs: int):
        self.samples, self.result = [], None
        for _ in range(runs):
            started = time.perf_counter()
            self.result = fn()
            self.samples.append(time.perf_counter() - started)
        self.median, self.fastest = statistics.median(self.samples), min(self.samples)

    def __str__(self) -> str:
        return f"median {self.median:.2f} s (fastest {self.fastest:.2f} s)"


def floor(parts) -> bytes:
    """The casebook's text, every title, note and table row a plain Paragraph, laid out by reportlab with no
    tables (the row's cells joined by spaces)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    style = getSampleStyleSheet()["BodyText"]
    lines = [line for part in parts for line in (part.title, *part.notes, *("  ".join(r) for r in part.rows))]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build([Paragraph(escape(line), style) for line in lines])
    return out.getvalue()


def run(url: str | None, runs: int, fresh: bool, profile: bool) -> None:
    from pypdf import PdfReader
    from sqlalchemy import event, select

    from ecrf.audit import chain
    from ecrf.casebook import record
    from ecrf.exports import casebook_pdf, seal
    from ecrf.exports.casebook_sections import Cover, sections
    from ecrf.exports.kinds import Request, Run
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    app, cleanup = _prepared(url, fresh)
    try:
        with app.app_context():
            subject = db.session.scalar(select(Subject).order_by(Subject.key))
            request = Request("casebook", "data_manager", "Bench Data Manager", "data_manager",
                              frozenset({subject.site_id}), subject_key=subject.key)
            run_ = Run()
            statements = []
            listener = lambda *a: statements.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            casebook_pdf.render_unsealed(db.session, request, run_, subject)  # warm: fonts, study, caches
            event.remove(db.engine, "before_cursor_execute", listener)

            def layout_only():
                gc.disable()  # as render_unsealed reads, so the difference is the layout's
                try:
                    return reading_only()
                finally:
                    gc.enable()

            def reading_only():
                rec = record.build(db.session, subject, request.role)
                digest = record.content_hash(record.content(rec))
                parts = sections(rec, Cover(run_.now, request, chain.head(db.session.connection()), digest),
                                 record.audit_rows(db.session, subject))
                return parts, rec

            parts, rec = layout_only()
            casebook = Timed(lambda: casebook_pdf.render_unsealed(db.session, request, run_, subject), runs)
            reading = Timed(layout_only, runs)
            floor_run = Timed(lambda: floor(parts), runs)
            identity = seal.ensure_identity(Path(tempfile.mkdtemp()))
            sealed = Timed(lambda: casebook_pdf.render(db.session, request, Run(identity=identity), subject), runs)
            pdf = casebook.result[0]
            pages, floor_pages = (len(PdfReader(io.BytesIO(data)).pages) for data in (pdf, floor_run.result))
            records = sum(1 for r in parts[-1].rows if len(r) > 1)
            print(f"engine {str(db.engine.url).split(':', 1)[0]}; subject {subject.key}: {rec.value_count} values, "
                  f"{sum(1 for _, f in rec.forms() if f.data)} stored forms, {records} audit records")
            print(f"  casebook PDF (unsealed): {casebook}, {pages} pages, {len(pdf) / 1e6:.2f} MB, "
                  f"{len(statements)} SQL statements")
            print(f"    of which reading the record and the trail into sections: {reading}; laying out "
                  f"{casebook.median - reading.median:.2f} s")
            print(f"  floor (the same text as plain Paragraphs, no tables): {floor_run}, {floor_pages} pages")
            print(f"  ratio casebook / floor: {casebook.median / floor_run.median:.2f}; layout alone / floor: "
                  f"{(casebook.median - reading.median) / floor_run.median:.2f}")
            print(f"  sealed (EC P-256, content embedded): {sealed}")

            site_ids = frozenset(db.session.scalars(select(Subject.site_id).distinct()))
            whole = Request("casebooks", "data_manager", "Bench Data Manager", "data_manager", site_ids)
            out = io.BytesIO()
            started = time.perf_counter()
            casebook_pdf.write_all(db.session, whole, Run(identity=identity), out)
            seconds = time.perf_counter() - started
            count = db.session.query(Subject).count()
            print(f"  whole export, {count} populated subjects, sealed, one zip: {seconds:.1f} s "
                  f"({seconds / count:.2f} s a casebook), {len(out.getvalue()) / 1e6:.1f} MB")
            if profile:
                from pyinstrument import Profiler

                profiler = Profiler()
                with profiler:
                    casebook_pdf.render_unsealed(db.session, request, run_, subject)
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL server URL (a database is created, populated and dropped)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="build the populated SQLite database again")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of one casebook")
    args = parser.parse_args()
    run(args.url, args.runs, args.fresh, args.profile)
