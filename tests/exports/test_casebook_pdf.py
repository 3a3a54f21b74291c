"""Subject casebook PDFs, parsed back with pypdf: every stored value as shown, the outline, "Page X of Y" and the
subject on every page, forms and visits never entered or not done, signatures that hold or were broken, the
reader's masking, the audit trail appendix; the zip and the directory of a site's casebooks with their manifest,
site scope, the seal, and the command line.

One fully populated subject (tests/populated.py: every visit to month 12, ~5,000 audit records) is built once for
the module; the exports only read, so the tests share it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from helpers import demographics, new_subject
from populated import Populated, populate
from pypdf import PdfReader
from sqlalchemy import event, select

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.models import AuditEvent
from ecrf.auth.models import Site, User
from ecrf.casebook import audit_trail, record
from ecrf.cli import main
from ecrf.exports import casebook_pdf, certified, seal
from ecrf.exports.casebook_sections import form_title
from ecrf.exports.kinds import Request, Run
from ecrf.infra.extensions import db
from ecrf.subjects.models import Subject
from ecrf.visits.services import mark_not_done

NOT_DONE_REASON = "The participant did not come: moved to another city"


@dataclass(frozen=True)
class Cohort:
    app: object
    url: str
    full: str  # the populated subject (site 01)
    small: str  # consent, demographics, screening not done (site 01)
    other: str  # a subject of site 02
    built: Populated


@pytest.fixture(scope="module")
def cohort(module_world):
    app = module_world
    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        full = new_subject(db.session, consented=False)
        built = populate(db.session, full)
        small = new_subject(db.session)
        demographics(db.session, small, dob="1991-03-14")
        mark_not_done(db.session, small, "SE.SCREENING", 1, NOT_DONE_REASON)
        db.session.commit()
        other = new_subject(db.session, site_code="02")
        keys = full.key, small.key, other.key
        db.session.remove()
    return Cohort(app, app.config["SQLALCHEMY_DATABASE_URI"], *keys, built)


@pytest.fixture
def session(cohort):
    with cohort.app.app_context():
        set_actor(db.session, Actor(None, "test", "system"))
        yield db.session
        db.session.rollback()
        db.session.remove()


def _subject(session, key: str) -> Subject:
    return session.scalar(select(Subject).where(Subject.key == key))


def _request(session, role: str, sites=("01",), subject_key: str | None = None, kind="casebook") -> Request:
    user = session.scalar(select(User).where(User.username == role))
    site_ids = frozenset(session.scalars(select(Site.id).where(Site.code.in_(sites))))
    return Request(kind, user.username, user.full_name, role, site_ids, user.id, subject_key)


class Statements:
    """Counts the SQL statements sent while it is on."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _count(self, *args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)


@dataclass
class Parsed:
    """A rendered casebook, parsed back."""

    data: bytes
    content: dict
    statements: int
    reader: PdfReader
    pages: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    def outline(self) -> list[tuple[str, int, list[tuple[str, int]]]]:
        """(title, page index, [(child title, page index)]) of the top-level bookmarks."""
        out, items = [], self.reader.outline
        page = self.reader.get_destination_page_number
        for n, item in enumerate(items):
            if isinstance(item, list):
                continue
            children = items[n + 1] if n + 1 < len(items) and isinstance(items[n + 1], list) else []
            out.append((item.title, page(item), [(c.title, page(c)) for c in children]))
        return out


def _render(cohort, key: str, role: str) -> Parsed:
    with cohort.app.app_context():
        subject = _subject(db.session, key)
        request = _request(db.session, role, subject_key=key)
        with Statements(db.engine) as counted:
            data, content = casebook_pdf.render_unsealed(db.session, request, Run(), subject)
        db.session.remove()
    reader = PdfReader(io.BytesIO(data))
    return Parsed(data, content, counted.count, reader, [p.extract_text() for p in reader.pages])


@pytest.fixture(scope="module")
def as_data_manager(cohort) -> Parsed:
    return _render(cohort, cohort.full, "data_manager")


@pytest.fixture(scope="module")
def as_sponsor(cohort) -> Parsed:
    return _render(cohort, cohort.full, "sponsor")


def squash(text: str) -> str:
    """Text without white space: a value wrapped over lines reads the same."""
    return re.sub(r"\s+", "", text)


def _shown(item) -> str:
    if item.missing_code:
        return f"{item.missing_label}: {item.missing_reason}" if item.missing_reason else item.missing_label
    return item.shown


# -- one casebook --------------------------------------------------------------------------------------------------

def test_every_stored_value_is_shown_in_its_form_under_its_bookmark(session, cohort, as_data_manager):
    rec = record.build(session, _subject(session, cohort.full), "data_manager")
    assert rec.value_count > 2400
    outline = as_data_manager.outline()
    starts = sorted({page for _, page, children in outline for _, page in children} | {p for _, p, _ in outline})
    checked, forms = 0, []
    for (_, first_page, children), event_entry in zip(outline[1:], rec.events):
        for (title, page), form in zip(children, event_entry.forms):
            assert title == form_title(form)
            forms.append((title, page, form))
    for title, page, form in forms:
        following = next((p for p in starts if p > page), len(as_data_manager.pages) - 1)
        text = squash("".join(as_data_manager.pages[page:following + 1]))
        for item in form.items:
            if item.value is None and not item.missing_code:
                continue
            assert squash(_shown(item)) in text, (title, item.definition.oid, _shown(item))
            checked += 1
    assert checked == rec.value_count


def test_bookmarks_per_visit_with_its_forms_nested(session, cohort, as_data_manager):
    rec = record.build(session, _subject(session, cohort.full), "data_manager")
    outline = as_data_manager.outline()
    titles = [title for title, _, _ in outline]
    assert titles[0].startswith(f"Casebook of subject {cohort.full}")
    visits = [f"{e.heading} ({e.definition.oid})" for e in rec.events]
    assert titles[1:1 + len(visits)] == visits
    assert titles[1 + len(visits):] == ["Charts over study day", "Signatures", "Query threads", "Audit trail"]
    for (_, page, children), entry in zip(outline[1:], rec.events):
        assert [t for t, _ in children] == [form_title(f) for f in entry.forms]
        assert all(child_page >= page for _, child_page in children)
    d1 = outline[1 + [e.definition.oid for e in rec.events].index("SE.D1")]
    vital_signs_page = dict(d1[2])["Vital signs (F.VS)"]
    assert "Vital signs (F.VS)" in as_data_manager.pages[vital_signs_page]


def test_page_x_of_y_and_the_subject_on_every_page(cohort, as_data_manager):
    pages = as_data_manager.pages
    total = len(pages)
    assert total > 50
    for number, text in enumerate(pages, 1):
        assert re.search(rf"Page {number} of\s+{total}\b", text), number
        assert cohort.full in text, number


def test_the_cover_names_study_site_subject_export_and_hashes(session, cohort, as_data_manager):
    from ecrf.audit.chain import head

    cover = as_data_manager.pages[0]
    subject = _subject(session, cohort.full)
    manager = session.scalar(select(User).where(User.username == "data_manager"))
    for words in ("S.CART19SLE", "Site 01 Site one", f"{subject.key} (subject number {subject.subject_no})",
                  f"{manager.full_name} (data_manager), role data manager", "UTC /", "CST (UTC+08:00)",
                  record.content_hash(as_data_manager.content)):
        assert squash(words) in squash(cover), words
    seq, digest = head(session.connection())
    assert re.search(r"record \d+, hash [0-9a-f]{64}", cover)
    assert int(re.search(r"record (\d+), hash", cover).group(1)) <= seq and digest


def test_long_values_wrap_and_markup_characters_show_as_typed(as_data_manager):
    from populated import LONG_TEXT

    lines = as_data_manager.text.splitlines()
    assert squash(LONG_TEXT) in squash(as_data_manager.text)
    assert not any(LONG_TEXT in line for line in lines)  # wrapped over several lines
    assert any("fatigue <grade 2 & improving" in line for line in lines)


def test_never_entered_and_not_done_forms_and_visits_are_listed(cohort):
    parsed = _render(cohort, cohort.small, "data_manager")
    text = parsed.text
    assert f"Visit not done: {NOT_DONE_REASON}" in text
    screening = next(children for title, _, children in parsed.outline() if title.endswith("(SE.SCREENING)"))
    assert len(screening) > 10
    for title, page in screening:
        assert title in parsed.pages[page]
        after = parsed.pages[page].split(title, 1)[1][:200]
        assert "Not done: the visit did not take place." in after, title
    day28 = next(children for title, _, children in parsed.outline() if title.endswith("(SE.D28)"))
    for title, page in day28:
        assert "Not started: nothing was ever entered on this form." in parsed.pages[page].split(title, 1)[1][:200]


def test_signatures_holding_and_broken(session, cohort, as_data_manager):
    start = next(page for title, page, _ in as_data_manager.outline() if title == "Signatures")
    text = squash(as_data_manager.pages[start] + as_data_manager.pages[start + 1])
    rec = record.build(session, _subject(session, cohort.full), "data_manager")
    assert {s.holds for s in rec.signatures} == {True, False}
    for s in rec.signatures:
        assert squash(f"{s.printed_name}") in text and squash(s.meaning) in text and squash(s.scope) in text
    broken = next(s for s in rec.signatures if not s.holds)
    assert squash(f"by a change to Respiratory rate on D1 / Vital signs ({cohort.full}/SE.D1[1]/F.VS[1])") in text
    assert broken.scope == "visit SE.D1 #1"
    assert text.count(squash("holds")) >= sum(1 for s in rec.signatures if s.holds)


def test_identifying_items_follow_the_readers_masking(as_data_manager, as_sponsor):
    assert "1984-07-19" in as_data_manager.text
    assert "1984-07-19" not in as_sponsor.text  # not on the form, nor in the audit trail
    dm_page = next(page for _, _, children in as_sponsor.outline() for title, page in children
                   if title == "Demographics (F.DM)")
    assert re.search(r"Date of birth\s+1984\b", as_sponsor.pages[dm_page])


def test_query_threads_are_withheld_from_the_sponsor(as_data_manager, as_sponsor):
    message = "Please confirm the temperature against the source."
    assert message in as_data_manager.text
    assert message not in as_sponsor.text
    start = next(page for title, page, _ in as_sponsor.outline() if title == "Query threads")
    assert "[withheld]" in as_sponsor.pages[start]
    assert "Query threads" in as_sponsor.pages[start]


def test_the_audit_appendix_reads_old_to_new_with_reason_and_full_name(session, cohort, as_data_manager):
    row = session.scalar(select(AuditEvent).where(
        AuditEvent.subject_key == cohort.full, AuditEvent.item_oid == "I.VS.RESP", AuditEvent.action == "update",
        AuditEvent.entity_key == f"{cohort.full}/SE.D1[1]/F.VS[1]/I.VS.RESP"))
    tz = _subject(session, cohort.full).site.zone
    old, new = (audit_trail.shown(row, v, tz, "data_manager") for v in (row.old_value, row.new_value))
    assert new == "19 breaths/min" and old and old != new
    start = next(page for title, page, _ in as_data_manager.outline() if title == "Audit trail")
    appendix = "\n".join(as_data_manager.pages[start:])
    records = session.scalar(select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.subject_key == cohort.full))
    assert squash(f"{records} records about subject {cohort.full}") in squash(appendix)
    entry = re.search(rf"\n{row.seq} update: Respiratory rate \(I\.VS\.RESP\)\s+(.+?) -> (.+?)\n", appendix)
    assert entry and (entry.group(1), entry.group(2)) == (old, new)
    before = appendix[:entry.start()]
    save = list(re.finditer(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2} · ", before))[-1]
    header = squash(before[save.start():])  # the save's line, just above its records
    assert squash("Coordinator Person (coordinator), coordinator · D1 / Vital signs") in header
    assert squash(f"Reason: {audit_trail.reason_for(row, 'data_manager')}") in header
    assert "Corrected as per the nursing chart." in audit_trail.reason_for(row, "data_manager")


def test_no_statement_per_visit_form_or_item(session, cohort, as_data_manager):
    def reading(key: str) -> int:
        """Statements of the record and the audit trail alone."""
        subject = _subject(session, key)
        with Statements(db.engine) as counted:
            record.build(session, subject, "data_manager")
            list(record.audit_rows(session, subject))
        return counted.count

    small = _render(cohort, cohort.small, "data_manager")
    # 236 stored forms or 2: the casebook adds the same one statement (the chain head) to what it reads
    assert as_data_manager.statements - reading(cohort.full) == small.statements - reading(cohort.small) == 1
    assert as_data_manager.statements <= 20


def test_a_sealed_casebook_validates_and_is_a_certified_copy(session, cohort, tmp_path):
    identity = seal.ensure_identity(tmp_path / "instance")
    subject = _subject(session, cohort.small)
    request = _request(session, "monitor", subject_key=subject.key)
    data = casebook_pdf.render(session, request, Run(identity=identity), subject)
    assert seal.validate(data, identity).ok
    content = record.content(record.build(session, subject, "monitor"))
    assert seal.attachment(data, seal.CONTENT_NAME) == record.canonical(content)
    assert certified.check(session, data, identity).ok


def test_write_names_one_subject_of_the_readers_sites(session, cohort):
    out = io.BytesIO()
    casebook_pdf.write(session, _request(session, "monitor", subject_key=cohort.small), Run(), out)
    assert PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text().count(cohort.small) >= 1
    from ecrf.errors import NotFound

    with pytest.raises(NotFound):
        casebook_pdf.write(session, _request(session, "monitor", subject_key=cohort.other), Run(), io.BytesIO())


# -- many casebooks ------------------------------------------------------------------------------------------------

def _manifest(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def _check_manifest(session, files: dict[str, bytes], role: str) -> list[dict]:
    rows = _manifest(files["MANIFEST.csv"])
    assert set(files) == {r["file"] for r in rows} | {"MANIFEST.csv"}
    for r in rows:
        data = files[r["file"]]
        assert r["file"] == f"{r['site']}/{r['subject']}.pdf"
        assert (r["sha256"], int(r["bytes"])) == (hashlib.sha256(data).hexdigest(), len(data))
        content = record.content(record.build(session, _subject(session, r["subject"]), role))
        assert r["content_sha256"] == record.content_hash(content)
        assert seal.attachment(data, seal.CONTENT_NAME) == record.canonical(content)
        assert r["subject"] in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    return rows


def test_write_all_zips_the_sites_casebooks_with_a_manifest_never_another_site(session, cohort):
    progress = []
    out = io.BytesIO()
    request = _request(session, "sponsor", kind="casebooks")
    casebook_pdf.write_all(session, request, Run(progress=lambda done, total: progress.append((done, total))), out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    rows = _check_manifest(session, files, "sponsor")
    assert [r["subject"] for r in rows] == sorted([cohort.full, cohort.small])
    assert cohort.other not in str(list(files))
    assert progress == [(1, 2), (2, 2)]


def test_write_directory_writes_the_same_files_and_returns_the_manifest(session, cohort, tmp_path):
    request = _request(session, "data_manager", sites=("02",), kind="casebooks")
    manifest = casebook_pdf.write_directory(session, request, Run(), tmp_path / "out")
    files = {str(p.relative_to(tmp_path / "out")): p.read_bytes() for p in (tmp_path / "out").rglob("*")
             if p.is_file()}
    rows = _check_manifest(session, files, "data_manager")
    assert [r["subject"] for r in rows] == [cohort.other]
    assert manifest.count == 1
    assert manifest.sha256 == hashlib.sha256(files["MANIFEST.csv"]).hexdigest()
    assert manifest.size == sum(len(d) for d in files.values())


# -- the command line ------------------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(cohort, monkeypatch, tmp_path):
    monkeypatch.setenv("ECRF_DATABASE_URL", cohort.url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "cli-test")
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path


def _export_audit(session, since: int) -> list[AuditEvent]:
    exports = AuditEvent.action.in_(("export_requested", "export_written"))
    return list(session.scalars(select(AuditEvent).where(AuditEvent.seq > since, exports).order_by(AuditEvent.seq)))


def _last_seq(session) -> int:
    return session.scalar(select(db.func.max(AuditEvent.seq)))


def test_cli_export_casebook_writes_the_pdf_and_audits_it(session, cohort, cli_env):
    since = _last_seq(session)
    out = cli_env / "casebook.pdf"
    result = CliRunner().invoke(main, ["export", "casebook", cohort.small, "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert cohort.small in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    session.expire_all()
    rows = _export_audit(session, since)
    assert [r.action for r in rows] == ["export_requested", "export_written"]
    assert all(r.subject_key == cohort.small for r in rows)
    assert f'"sha256": "{hashlib.sha256(data).hexdigest()}"' in rows[1].new_value


def test_cli_export_casebooks_of_a_site_into_a_directory(session, cohort, cli_env):
    since = _last_seq(session)
    out = cli_env / "casebooks"
    result = CliRunner().invoke(main, ["export", "casebooks", "--out", str(out), "--site", "01"])
    assert result.exit_code == 0, result.output
    assert "2 casebooks" in result.output
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == ["01/" + k + ".pdf" for k in sorted([cohort.full, cohort.small])] + ["MANIFEST.csv"]
    manifest_sha = hashlib.sha256((out / "MANIFEST.csv").read_bytes()).hexdigest()
    session.expire_all()
    rows = _export_audit(session, since)
    assert [r.action for r in rows] == ["export_requested", "export_written"]
    assert f'"sha256": "{manifest_sha}"' in rows[1].new_value and '"sites": ["01"]' in rows[1].new_value
