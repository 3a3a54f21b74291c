"""Every export is an audited action: who exported what, for which sites, when, and the SHA-256 of the file."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.audit.trail import record
from ecrf.exports.kinds import Request


def requested(session: Session, request: Request, sites: list[str], entity_id=None) -> None:
    """The request itself, recorded before any data is read (a reader cannot take data without a trace)."""
    record(session, "export_requested", request.kind, entity_id=entity_id,
           new={"kind": request.kind, "sites": sites, "subject": request.subject_key, "role": request.role},
           subject_key=request.subject_key, site_code=sites[0] if len(sites) == 1 else None)


def written(session: Session, request: Request, sites: list[str], sha256: str, size: int, entity_id=None) -> None:
    record(session, "export_written", request.kind, entity_id=entity_id,
           new={"kind": request.kind, "sites": sites, "subject": request.subject_key, "sha256": sha256,
                "bytes": size}, subject_key=request.subject_key, site_code=sites[0] if len(sites) == 1 else None)


def downloaded(session: Session, request: Request, sites: list[str], sha256: str, entity_id=None) -> None:
    record(session, "export_downloaded", request.kind, entity_id=entity_id,
           new={"kind": request.kind, "sites": sites, "subject": request.subject_key, "sha256": sha256},
           subject_key=request.subject_key, site_code=sites[0] if len(sites) == 1 else None)
