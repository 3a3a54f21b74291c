"""The blank and the annotated CRF (issue 11, item 6), parsed back with pypdf: every form, group, item and choice
of the definition is there, with bookmarks per form and per event, "Page X of Y" on every page; the annotated CRF
adds every item OID, SDTM variable, calculator and edit check; both go through the seal; the command line writes
and audits them."""
from __future__ import annotations

import hashlib
import io
import json
import re

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from reportlab.platypus import Paragraph
from sqlalchemy import select

from ecrf.exports.kinds import Request, Run
from ecrf.study.definition import load


def _render(annotated: bool) -> bytes:
    from ecrf.exports import blank_crf

    out = io.BytesIO()
    write = blank_crf.write_annotated if annotated else blank_crf.write_blank
    write(None, Request("annotated_crf" if annotated else "blank_crf", "monitor", "Monitor Person", "monitor",
                        frozenset()), Run(), out)
    return out.getvalue()


class Parsed:
    def __init__(self, data: bytes):
        self.reader = PdfReader(io.BytesIO(data))
        self.pages = [" ".join(page.extract_text().split()) for page in self.reader.pages]
        self.text = " ".join(self.pages)
        self.outline = list(self._walk(self.reader.outline, 0))

    def _walk(self, entries, level):
        for entry in entries:
            if isinstance(entry, list):
                yield from self._walk(entry, level + 1)
            else:
                yield level, entry.title, self.reader.get_destination_page_number(entry)

    def children(self, title: str) -> list[tuple[int, str, int]]:
        """The outline entries under the top-level entry ``title``, with their levels."""
        at = next(n for n, (level, t, _) in enumerate(self.outline) if level == 0 and t == title)
        out = []
        for entry in self.outline[at + 1:]:
            if entry[0] == 0:
                break
            out.append(entry)
        return out


@pytest.fixture(scope="module")
def blank() -> Parsed:
    return Parsed(_render(False))


@pytest.fixture(scope="module")
def annotated() -> Parsed:
    return Parsed(_render(True))


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("which", ["blank", "annotated"])
def test_every_form_group_item_and_choice_of_the_definition_is_printed(which, request):
    crf = request.getfixturevalue(which)
    study = load()
    missing = []
    for form in study.forms:
        texts = [form.label, *(g.label for g in form.groups), *(i.label for i in form.items),
                 *(i.units for i in form.items if i.units),
                 *(c.label for i in form.items if i.codelist for c in i.codelist.items)]
        missing += [(form.oid, t) for t in texts if _words(t) not in crf.text]
    assert not missing, missing[:10]
    assert "Schedule of events" in crf.pages[2]
    assert all(_words(e.label) in crf.text for e in study.events)
    assert "Not done, reason:" in crf.text and "YYYY-MM-DD" in crf.text


@pytest.mark.parametrize("which", ["blank", "annotated"])
def test_every_page_says_page_x_of_y_and_y_is_the_page_count(which, request):
    crf = request.getfixturevalue(which)
    count = len(crf.pages)
    assert count > len(load().forms)  # a form a page at least, with the cover, contents and schedule
    for number, text in enumerate(crf.pages, 1):
        assert re.findall(r"Page (\d+) of (\d+)", text) == [(str(number), str(count))], number


@pytest.mark.parametrize("which", ["blank", "annotated"])
def test_the_outline_leads_to_every_form_and_by_event_to_the_forms_collected_there(which, request):
    crf = request.getfixturevalue(which)
    study = load()
    titled = (lambda label, oid: f"{label} ({oid})") if which == "annotated" else (lambda label, oid: label)
    forms = crf.children("Forms")
    assert [t for _, t, _ in forms] == [titled(f.label, f.oid) for f in study.forms]
    for (_, _, page), form in zip(forms, study.forms):
        assert crf.pages[page].startswith(_words(form.label)), (form.oid, crf.pages[page][:80])
    pages = {titled(f.label, f.oid): page for (_, _, page), f in zip(forms, study.forms)}
    events = crf.children("Events")
    assert [t for level, t, _ in events if level == 1] == [titled(e.label, e.oid) for e in study.events]
    by_event, current = {}, None
    for level, title, page in events:
        if level == 1:
            current = by_event.setdefault(title, [])
        else:
            current.append(title)
            assert page == pages[title]  # the event's entry leads to the form's own page
    for event in study.events:
        assert by_event[titled(event.label, event.oid)] == [
            titled(study.form(r.form_oid).label, r.form_oid) for r in event.forms]
    assert [t for level, t, _ in crf.outline if level == 0][:3] == ["Cover", "Contents", "Schedule of events"]
    contents = crf.pages[1]
    assert contents.startswith("Contents Schedule of events")
    assert not [t for t, page in pages.items() if f"{_words(t)} {page + 1}" not in contents]  # the right pages
    refs = [p.indirect_reference for p in crf.reader.pages]
    links = [refs.index(a.get_object()["/Dest"][0]) for a in crf.reader.pages[1]["/Annots"]]
    assert links == [2, *(page for _, _, page in forms)]  # each line links to its page (the schedule is third)


def test_the_annotated_crf_adds_oids_types_sdtm_calculators_and_edit_checks(annotated, blank):
    study = load()
    items = study.items.values()
    assert not [i.oid for i in items if i.oid not in annotated.text]
    assert not [i.oid for i in items if i.sdtm and f"SDTM {i.sdtm}" not in annotated.text]
    assert not [c.id for c in study.checks if c.id not in annotated.text]
    assert not [i.oid for i in items if i.calculated and f"calculated: {i.calculated}" not in annotated.text]
    assert not [cl for cl in study.codelists if f"code list {cl}" not in annotated.text]
    assert "range 30.0..44.0" in annotated.text and "float, 1 decimals" in annotated.text
    starts = dict((t, p) for _, t, p in annotated.children("Forms"))
    for form in study.forms:  # each check on the pages of the form it belongs to (up to the next form's first)
        page = starts[f"{form.label} ({form.oid})"]
        end = min([p for p in starts.values() if p > page], default=len(annotated.pages))
        shown = " ".join(annotated.pages[page:end + 1])
        assert all(c.id in shown for c in study.checks_on(form.oid)), form.oid
    for oid in ("I.VS.TEMP", "VS.BP_ORDER", "CL.NY", "SDTM "):
        assert oid not in blank.text  # the blank CRF is for sites: no data management annotations


def test_the_crf_goes_through_the_seal_with_the_runs_identity(monkeypatch):
    from ecrf.exports import blank_crf

    calls = []

    def seal(data, identity, **kw):
        calls.append((data[:5], identity, kw.get("reason")))
        return data + b"%sealed"

    monkeypatch.setattr(blank_crf, "seal_pdf", seal)
    monkeypatch.setattr(blank_crf, "_story", lambda *args: [Paragraph("one page")])  # the plumbing only
    out = io.BytesIO()
    blank_crf.write_blank(None, Request("blank_crf", "m", "M", "monitor", frozenset()), Run(identity="ID"), out)
    assert calls == [(b"%PDF-", "ID", "Blank CRF of S.CART19SLE MDV.1")] and out.getvalue().endswith(b"%sealed")


@pytest.fixture
def cli_env(app, monkeypatch, tmp_path, db_url):
    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "cli-test")
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "cli-instance"))


@pytest.mark.parametrize("flag, kind", [((), "blank_crf"), (("--annotated",), "annotated_crf")])
def test_the_command_line_writes_the_crf_and_audits_the_export(flag, kind, session, world, cli_env, tmp_path):
    from ecrf.audit.models import AuditEvent
    from ecrf.cli import main

    out = tmp_path / "crf.pdf"
    result = CliRunner().invoke(main, ["export", "blank-crf", *flag, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(PdfReader(out).pages[0].extract_text().split())
    assert ("Annotated CRF" if flag else "Blank CRF") in text
    session.expire_all()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(("export_requested", "export_written")))
                           .order_by(AuditEvent.seq)).all()
    assert [(r.action, r.entity) for r in rows] == [("export_requested", kind), ("export_written", kind)]
    assert json.loads(rows[1].new_value)["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_the_blank_crf_sealed_by_the_system_validates_keeps_its_outline_and_fails_when_a_byte_changes(tmp_path):
    from ecrf.exports import blank_crf, seal

    identity = seal.ensure_identity(tmp_path)
    data = blank_crf.render(load(), Run(identity=identity), annotated=False)
    status = seal.validate(data, identity)
    assert status.ok and status.covers_whole_file, status
    assert [t for level, t, _ in Parsed(data).outline if level == 0][-1] == "Forms"
    at = data.index(b"Schedule of events")  # a byte of the signed content
    assert not seal.validate(data[:at] + b"s" + data[at + 1:], identity).ok
