"""An export small enough to make inside the request (one casebook, the blank CRF): audited as a job's is.

The request is recorded before any data is read, and the written file (its SHA-256 and size) after, each in its
own unit of work, so an export that fails half-way still leaves the trace of who asked for it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from sqlalchemy.orm import Session

from ecrf.exports import audited, scope
from ecrf.exports.kinds import Request, Run, kind
from ecrf.infra.work import unit_of_work


@dataclass(frozen=True)
class Produced:
    data: bytes
    filename: str
    media_type: str
    sha256: str


def filename(request: Request, site_codes: list[str], when) -> str:
    """``<study>-<kind>-<subject or site>-<UTC time>.<ext>``: names that sort, and say what and when."""
    what = request.subject_key or ("-".join(site_codes) if len(site_codes) == 1 else "all-sites")
    definition = kind(request.kind)
    return f"CART19-SLE-{request.kind.replace('_', '-')}-{what}-{when:%Y%m%dT%H%M%SZ}.{definition.extension}"


def produce(session: Session, request: Request, run: Run) -> Produced:
    definition = kind(request.kind)
    codes = [s.code for s in scope.sites(session, request)]
    unit_of_work(session, lambda: audited.requested(session, request, codes))
    out = BytesIO()
    try:
        definition.write(session, request, run, out)
    finally:
        session.rollback()  # the writers only read; end their transaction before the audit record's
    data = out.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    unit_of_work(session, lambda: audited.written(session, request, codes, digest, len(data)))
    return Produced(data, filename(request, codes, run.now), definition.media_type, digest)
