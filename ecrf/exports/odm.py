"""CDISC ODM 1.3.2 exports, written incrementally with lxml's ``xmlfile``: each element goes to ``out`` as it is
made and nothing is kept, so memory does not grow with the number of subjects or audit records.

* ``write_snapshot(session, request, run, out)``: ``FileType="Snapshot"``, the current values (odm_snapshot);
* ``write_transactional(session, request, run, out)``: ``FileType="Transactional"``, ``Archival="Yes"``: every
  change in time order with its audit record, removals and signatures included (odm_transactional);
* ``read_values(xml)``: the values a file holds, a snapshot's or a transactional file's after replaying (odm_read).

Both carry the Study and MetaDataVersion generated from the definition (odm_metadata) and the AdminData the
records refer to (odm_admin). Values follow the requesting role's masking (ecrf.study.masking); the file names
who asked, for which sites, and the audit chain head it was read at.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timezone
from typing import BinaryIO

from lxml import etree
from sqlalchemy.orm import Session

from ecrf import __version__
from ecrf.audit import chain
from ecrf.exports import odm_snapshot, odm_transactional, scope
from ecrf.exports.kinds import Request, Run
from ecrf.exports.odm_admin import Location, people, write_admin
from ecrf.exports.odm_clinical import Layout
from ecrf.exports.odm_metadata import write_study
from ecrf.exports.odm_read import read_values
from ecrf.exports.odm_xml import NSMAP, attrs, q, timestamp
from ecrf.study.definition import METADATA_VERSION, STUDY_OID
from ecrf.study.definition import load as load_study

__all__ = ["read_values", "write_snapshot", "write_transactional"]


def write_snapshot(session: Session, request: Request, run: Run, out: BinaryIO) -> None:
    layout = Layout.of(load_study(), request.role)
    users, meanings = odm_snapshot.referenced(session, request)
    _document(session, request, run, out, layout, "Snapshot", users, meanings,
              lambda xf: odm_snapshot.write_subjects(xf, session, request, run, layout))


def write_transactional(session: Session, request: Request, run: Run, out: BinaryIO) -> None:
    layout = Layout.of(load_study(), request.role)
    users, meanings, signers = odm_transactional.referenced(session, request)
    _document(session, request, run, out, layout, "Transactional", users, meanings,
              lambda xf: odm_transactional.write_changes(xf, session, request, run, layout, signers))


def _granularity(request: Request, sites: list) -> str:
    if request.subject_key:
        return "SingleSubject"
    return "SingleSite" if len(sites) == 1 else "All"


def _document(session: Session, request: Request, run: Run, out: BinaryIO, layout: Layout, file_type: str,
              usernames: Iterable[str], meanings: Iterable[str], clinical: Callable) -> None:
    if request.subject_key:
        scope.subjects(session, request)  # NotFound unless the subject is at the request's sites
    sites = scope.sites(session, request)
    codes = [s.code for s in sites]
    head_seq, head_hash = chain.head(session.connection())
    now = run.now.astimezone(timezone.utc)
    moment = timestamp(now.replace(microsecond=0))
    root = attrs(
        FileType=file_type, Archival="Yes" if file_type == "Transactional" else None, Granularity=_granularity(
            request, sites),
        FileOID=f"F.{STUDY_OID}.{file_type}.{now:%Y%m%dT%H%M%S%fZ}",
        CreationDateTime=moment, AsOfDateTime=moment, ODMVersion="1.3.2", SourceSystem="ecrf",
        SourceSystemVersion=__version__,
        Description=f"Exported by {request.full_name} ({request.username}) as {request.role}; sites "
                    f"{', '.join(codes) or 'none'}; audit chain head {head_seq} {head_hash}")
    persons = people(session, usernames, set(codes))
    locations = [Location(s.code, s.name, s.created_at.date()) for s in sites]
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(q("ODM"), root, nsmap=NSMAP):
            write_study(xf, layout.study, request.role)
            write_admin(xf, persons, locations, meanings)
            with xf.element(q("ClinicalData"), StudyOID=STUDY_OID, MetaDataVersionOID=METADATA_VERSION):
                clinical(xf)
