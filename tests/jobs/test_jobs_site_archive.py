"""The investigator's site archive (ecrf.exports.site_archive), with the casebook renderer and the ODM writer
stubbed (their own slices test them): every casebook of the site and none of another site's, the ODM file, the
site's audit trail cut at the chain head the README prints, a MANIFEST whose SHA-256 match, and the archive
run as a job."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import jobkit
import pytest
from helpers import new_subject, save, vs_values
from sqlalchemy import select

from ecrf.audit import chain
from ecrf.auth.models import Site
from ecrf.casebook.audit_trail import CSV_COLUMNS
from ecrf.exports import casebook_pdf, odm, site_archive
from ecrf.exports.files import write_atomically
from ecrf.exports.kinds import Run

STUB_PDF = b"%PDF-1.7\n%stub casebook of "


@pytest.fixture
def stubs(monkeypatch):
    """render() and write_transactional() as the other slices will provide them, tiny; what they were asked for."""
    asked = {"render": [], "odm": []}

    def render(session, request, run, subject) -> bytes:
        asked["render"].append(subject.key)
        return STUB_PDF + subject.key.encode()

    def write_transactional(session, request, run, out) -> None:
        asked["odm"].append(sorted(request.site_ids))
        out.write(b'<?xml version="1.0"?><ODM FileType="Transactional" Archival="Yes"/>')

    monkeypatch.setattr(casebook_pdf, "render", render, raising=False)
    monkeypatch.setattr(odm, "write_transactional", write_transactional)
    return asked


@pytest.fixture
def trial(session, world):
    """Two subjects at site 01 (one with vital signs), one at site 02 with a value of its own."""
    first, second, other = new_subject(session, "01"), new_subject(session, "01"), new_subject(session, "02")
    save(session, first, "F.VS", vs_values(**{"I.VS.HR": "61"}))
    save(session, other, "F.VS", vs_values(**{"I.VS.HR": "99"}))
    session.commit()
    return {"01": [first.key, second.key], "02": [other.key]}


def _archive(session, tmp_path, username="investigator"):
    request = jobkit.request_for(session, username, kind="site_archive", sites=("01",))
    progress = []
    written = write_atomically(tmp_path / "archive.zip", lambda out: site_archive.write(
        session, request, Run(progress=lambda done, total: progress.append((done, total))), out))
    return zipfile.ZipFile(written.path), progress


def test_the_archive_holds_the_sites_casebooks_odm_audit_trail_readme_and_manifest(session, trial, stubs, tmp_path):
    seq, head = chain.head(session.connection())
    archive, progress = _archive(session, tmp_path)
    keys = trial["01"]
    assert archive.namelist() == [*(f"casebooks/01/{k}.pdf" for k in sorted(keys)), "odm-transactional.xml",
                                  "audit-trail.csv", "README.txt", "MANIFEST.csv"]
    assert sorted(stubs["render"]) == sorted(keys) and len(stubs["odm"]) == 1
    assert archive.read(f"casebooks/01/{keys[0]}.pdf") == STUB_PDF + keys[0].encode()
    assert progress[0] == (0, 4) and progress[-1] == (4, 4)

    manifest = list(csv.DictReader(io.StringIO(archive.read("MANIFEST.csv").decode())))
    assert [m["file"] for m in manifest] == archive.namelist()[:-1]
    for entry in manifest:
        data = archive.read(entry["file"])
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and int(entry["bytes"]) == len(data)

    readme = archive.read("README.txt").decode()
    assert f"Audit chain head at export: record {seq}, hash {head}" in readme
    assert "EMA/INS/GCP/112288/2023" in readme and "Investigator Person (investigator), role investigator" in readme
    assert "01  Site one" in readme and "Asia/Shanghai" in readme


def test_a_site_02_subject_is_never_in_a_site_01_archive(session, trial, stubs, tmp_path):
    archive, _ = _archive(session, tmp_path)
    [other] = trial["02"]
    for name in archive.namelist():
        assert other.encode() not in archive.read(name), name
    assert stubs["odm"] == [[session.scalar(select(Site.id).where(Site.code == "01"))]]
    rows = list(csv.DictReader(io.StringIO(archive.read("audit-trail.csv").decode())))
    assert rows and all(r["site_code"] == "01" for r in rows)
    assert {r["subject_key"] for r in rows} - {""} == set(trial["01"])
    assert not any(r["new_value"] == "99" for r in rows) and any(r["new_value"] == "61" for r in rows)


def test_the_audit_trail_is_the_same_as_the_subjects_csv_and_stops_at_the_head(session, trial, stubs, tmp_path,
                                                                               as_role, monkeypatch):
    from ecrf.audit.models import AuditEvent
    from ecrf.audit.trail import record

    seq, _ = chain.head(session.connection())
    last_of_site = session.scalar(select(AuditEvent.seq).where(AuditEvent.site_code == "01")
                                  .order_by(AuditEvent.seq.desc()).limit(1))
    render = casebook_pdf.render

    def busy_site(session_, request, run, subject):  # the site works on while the archive is written
        record(session_, "late_event", "subject", subject_key=subject.key, site_code="01")
        return render(session_, request, run, subject)

    monkeypatch.setattr(casebook_pdf, "render", busy_site)
    archive, _ = _archive(session, tmp_path)
    rows = list(csv.reader(io.StringIO(archive.read("audit-trail.csv").decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert max(int(r[0]) for r in rows[1:]) == last_of_site and "late_event" not in {r[5] for r in rows}
    session.rollback()
    key = trial["01"][0]
    web = list(csv.reader(io.StringIO(as_role("investigator").get(f"/subjects/{key}/audit.csv").get_data(
        as_text=True))))
    subject_column = CSV_COLUMNS.index("subject_key")
    assert web[0] == rows[0]
    ours = [r for r in rows[1:] if r[subject_column] == key]
    assert ours == [r for r in web[1:] if int(r[0]) <= seq] and len(ours) > 5


@pytest.mark.parametrize("backend", ["immediate"])
def test_the_site_archive_runs_as_a_job(session, trial, stubs, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "coordinator", kind="site_archive"))
    job = jobkit.job(session, job_id)
    assert job.state == "done", job.error
    assert job.filename.startswith("CART19-SLE-site-archive-01-") and job.filename.endswith(".zip")
    archive = zipfile.ZipFile(Path(job.path))
    trail = archive.read("audit-trail.csv").decode()
    requested = [r for r in csv.DictReader(io.StringIO(trail)) if r["action"] == "export_requested"]
    assert [json.loads(r["new_value"])["kind"] for r in requested] == ["site_archive"]  # its own request
    assert hashlib.sha256(Path(job.path).read_bytes()).hexdigest() == job.sha256
