"""The investigator's copy: one zip with every casebook of the site, the site's data as CDISC ODM Transactional, the
site's audit trail as CSV, a README saying what the archive is, and MANIFEST.csv with the SHA-256 of each file.

Every part is limited to the request's sites (ecrf.exports.scope) and shown as the requester's role may see it.
The audit trail ends at the chain head the README prints, read before anything else: the archive is a
consistent cut, and a later record can never be mistaken for part of it.
"""
from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import BinaryIO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecrf.audit import chain
from ecrf.audit.models import AuditEvent
from ecrf.auth.models import Site
from ecrf.casebook import audit_trail
from ecrf.exports import casebook_pdf, odm, scope
from ecrf.exports.files import Hashing
from ecrf.exports.kinds import Request, Run
from ecrf.infra import csvsafe
from ecrf.subjects.models import Subject

CASEBOOKS = "casebooks"
ODM_FILE = "odm-transactional.xml"
AUDIT_FILE = "audit-trail.csv"
README = "README.txt"
MANIFEST = "MANIFEST.csv"
_CSV_BATCH = 1000  # audit rows encoded per write


def write(session: Session, request: Request, run: Run, out: BinaryIO) -> None:
    seq, head = chain.head(session.connection())  # first: the cut every part stops at
    sites = scope.sites(session, request)
    subjects = scope.subjects(session, request)
    total = len(subjects) + 2
    inner = replace(run, progress=lambda done, total: None)  # the parts' own units mean nothing here
    with _Archive(out, run) as archive:
        for done, subject in enumerate(subjects):
            run.progress(done, total)
            pdf = casebook_pdf.render(session, request, inner, subject)
            archive.add(f"{CASEBOOKS}/{subject.site.code}/{subject.key}.pdf", lambda s, pdf=pdf: s.write(pdf))
        run.progress(len(subjects), total)
        archive.add(ODM_FILE, lambda s: odm.write_transactional(session, request, inner, s))
        run.progress(len(subjects) + 1, total)
        archive.add(AUDIT_FILE, lambda s: _audit_csv(session, request, seq, s))
        archive.add(README, lambda s: s.write(_readme(request, run, sites, len(subjects), seq, head).encode()))
    run.progress(total, total)


class _Archive:
    """A zip written front to back (the stream need not seek), each file hashed as it goes into MANIFEST.csv."""

    def __init__(self, out: BinaryIO, run: Run):
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self.stamp = run.now.utctimetuple()[:6]
        self.manifest: list[tuple[str, str, int]] = []

    def add(self, name: str, produce: Callable[[Hashing], None]) -> None:
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        # a PDF is compressed already; the XML and CSV shrink to a tenth
        info.compress_type = zipfile.ZIP_STORED if name.endswith(".pdf") else zipfile.ZIP_DEFLATED
        with self.zip.open(info, "w", force_zip64=True) as raw:
            stream = Hashing(raw)
            produce(stream)
        self.manifest.append((name, stream.sha256, stream.size))

    def __enter__(self) -> _Archive:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if error is None:
            self.close()
        else:  # a part failed: end the zip now, while its stream is open (the caller discards the file)
            self.zip.close()

    def close(self) -> None:
        text = csvsafe.write([("file", "sha256", "bytes"), *self.manifest])
        info = zipfile.ZipInfo(MANIFEST, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, text.encode())
        self.zip.close()


def site_trail(request: Request, up_to_seq: int):
    """The records about the request's sites (their subjects' included) up to ``up_to_seq``, oldest first."""
    keys = select(Subject.key).where(Subject.site_id.in_(request.site_ids))
    codes = select(Site.code).where(Site.id.in_(request.site_ids))
    return (select(AuditEvent).where(or_(AuditEvent.site_code.in_(codes), AuditEvent.subject_key.in_(keys)),
                                     AuditEvent.seq <= up_to_seq).order_by(AuditEvent.seq))


def _audit_csv(session: Session, request: Request, up_to_seq: int, out: BinaryIO) -> None:
    rows = audit_trail.csv_rows(session, site_trail(request, up_to_seq), request.role)
    for batch in _batches([audit_trail.CSV_COLUMNS], rows):
        out.write(csvsafe.write(batch).encode())


def _batches(first: list, rows: Iterable[list]) -> Iterable[list]:
    batch = list(first)
    for row in rows:
        batch.append(row)
        if len(batch) >= _CSV_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _readme(request: Request, run: Run, sites, subjects: int, seq: int, head: str) -> str:
    when = run.now.strftime("%Y-%m-%d %H:%M:%S UTC")
    local = "; ".join(f"{run.now.astimezone(s.zone):%Y-%m-%d %H:%M} at site {s.code} ({s.timezone})" for s in sites)
    site_lines = "\n".join(f"  {s.code}  {s.name}" for s in sites)
    return f"""INVESTIGATOR'S SITE ARCHIVE

Site(s):
{site_lines}
Exported by: {request.full_name} ({request.username}), role {request.role}
Exported at: {when} ({local})
Audit chain head at export: record {seq}, hash {head}
Subjects: {subjects}

What this archive is
  The investigator's own copy of the trial data of the site(s) above, as held by the electronic case report
  form system: every subject's casebook, every change to the data with who made it, when and why, and the
  site's audit trail. The EMA Guideline on computerised systems and electronic data in clinical trials
  (EMA/INS/GCP/112288/2023, in effect since 9 September 2023) expects the investigator to have continuous
  access to the data generated at the site and to keep it, during the trial and after its end, in a copy the
  sponsor does not control. Keep this archive for the retention period of the trial.

Contents
  {CASEBOOKS}/<site>/<subject>.pdf  each subject's casebook (PDF, sealed by the system when it holds a seal:
                                any PDF reader shows whether the file was altered since)
  {ODM_FILE}         CDISC ODM 1.3.2, Archival="Yes": every value and every change in time order, each
                                with its audit record (user, time with offset, reason), and the signatures
  {AUDIT_FILE}              the site's audit trail, records up to {seq}; the hash of record {seq} is the
                                chain head above: compare it with a head kept apart from the system
  {README}                  this file
  {MANIFEST}                the SHA-256 and size of each file above

Checking the copy
  sha256sum each file and compare with {MANIFEST}. Values are shown as the exporting role may see them.
"""

