"""The kinds of export, what a request for one carries, and the one signature every writer has.

A writer is ``write(session, request, run, out)``: it reads the database as ``request.role`` may see it, limited
to ``request.site_ids``, writes its file to the binary stream ``out`` and reports ``run.progress(done, total)``
as it goes. It does not commit and does not audit: ecrf.exports.audited records the export, the caller (a web
view, the API, the command line or a job) decides the unit of work.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import BinaryIO

from sqlalchemy.orm import Session

#: (done, total): units are the writer's own (subjects, forms); total may be 0 while unknown
Progress = Callable[[int, int], None]


def _quiet(done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Request:
    """Who asks for what. ``site_ids``: the requester's sites the export covers (never more than theirs)."""

    kind: str
    username: str
    full_name: str
    role: str
    site_ids: frozenset[int]
    user_id: int | None = None
    subject_key: str | None = None  # one subject's casebook


@dataclass
class Run:
    """What one export needs beyond the database."""

    identity: object | None = None  # ecrf.exports.seal.Identity: the system's key and certificate; None: unsealed
    progress: Progress = _quiet
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


Writer = Callable[[Session, Request, Run, BinaryIO], None]


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    action: str  # ecrf.auth.permissions.ACTIONS: who may ask for it
    extension: str  # of the file written
    media_type: str
    background: bool  # whole-site or whole-study: run as a job (ecrf.jobs), never inside a request
    write: Writer


def _kinds() -> dict[str, Kind]:
    # by name: the writers import Request and Run from here (through ecrf.exports.scope), so a plain import back
    # would be a cycle; the registry names them instead
    blank_crf, casebook_pdf, datasets, odm, site_archive = (
        importlib.import_module(f"ecrf.exports.{name}")
        for name in ("blank_crf", "casebook_pdf", "datasets", "odm", "site_archive"))

    return {k.name: k for k in (
        Kind("casebook", "Subject casebook (sealed PDF)", "export_casebook", "pdf", "application/pdf", False,
             casebook_pdf.write),
        Kind("casebooks", "Casebooks of a site or the study (zip of sealed PDFs)", "export_casebook", "zip",
             "application/zip", True, casebook_pdf.write_all),
        Kind("odm", "CDISC ODM 1.3.2 snapshot", "export_study_data", "xml", "application/xml", True,
             odm.write_snapshot),
        Kind("odm_transactional", "CDISC ODM 1.3.2 transactional (archival, with the audit trail)",
             "export_study_data", "xml", "application/xml", True, odm.write_transactional),
        Kind("datasets", "Analysis datasets (CSV, data dictionary, Dataset-JSON 1.1)", "export_study_data", "zip",
             "application/zip", True, datasets.write),
        Kind("blank_crf", "Blank CRF (sealed PDF)", "export_blank_crf", "pdf", "application/pdf", False,
             blank_crf.write_blank),
        Kind("annotated_crf", "Annotated CRF (OIDs, types, edit checks, SDTM)", "export_blank_crf", "pdf",
             "application/pdf", False, blank_crf.write_annotated),
        Kind("site_archive", "Investigator's site archive (casebooks, ODM transactional, audit trail)",
             "export_site_archive", "zip", "application/zip", True, site_archive.write),
    )}


_KINDS: dict[str, Kind] | None = None


def kinds() -> dict[str, Kind]:
    """Every kind by name (built on first use: the writers import the read side, which imports the models)."""
    global _KINDS
    if _KINDS is None:
        _KINDS = _kinds()
    return _KINDS


def kind(name: str) -> Kind:
    return kinds()[name]
