"""Export jobs for the faces (web pages, API): submit one, follow your own, take the finished file.

* ``submit(session, request: ecrf.exports.kinds.Request) -> ExportJob``: a queued job row, its request audited,
  enqueued on huey once the transaction commits.
* ``get(session, job_id, user) -> ExportJob``: the user's own job (NotFound otherwise).
* ``mine(session, user) -> list[ExportJob]``: newest first.
* ``take_file(session, job, user) -> (path, filename, media_type)``: a finished job's file; the download is audited.
* ``ExportJob`` fields: id, kind, state (queued, running, done, failed, expired), done, total, filename, sha256,
  size, error, requested_at, finished_at, expires_at, downloaded_at.

Nothing here commits: each call is part of the caller's unit of work (ecrf.infra.work).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.permissions import ACTIONS
from ecrf.errors import Forbidden, NotFound, Refused
from ecrf.exports import audited, scope
from ecrf.exports.kinds import Request, kind, kinds
from ecrf.jobs import inline
from ecrf.jobs.models import ExportJob
from ecrf.jobs.queue import enqueue_after_commit
from ecrf.jobs.settings import AFTER_DOWNLOAD
from ecrf.study.clock import utcnow

__all__ = ["ExportJob", "get", "mine", "submit", "take_file"]


def submit(session: Session, request: Request) -> ExportJob:
    """Queue the export ``request`` asks for. The request is audited now, in the caller's transaction; the job
    reaches the queue when that transaction commits (never if it rolls back)."""
    if request.kind not in kinds():
        raise NotFound(f"no export {request.kind!r}")
    export = kind(request.kind)
    if request.role not in ACTIONS[export.action]:
        raise Forbidden(f"{export.label}: not for the role {request.role}")
    codes = [s.code for s in scope.sites(session, request)]
    if not codes:
        raise NotFound("no site to export")
    if request.subject_key:
        scope.subjects(session, request)  # NotFound unless the subject is at the request's sites
    now = utcnow()
    job = ExportJob(kind=request.kind, state="queued", user_id=request.user_id, username=request.username,
                    full_name=request.full_name, role=request.role,
                    site_ids=ExportJob.encode_sites(request.site_ids), subject_key=request.subject_key,
                    done=0, total=0, attempts=0, filename=inline.filename(request, codes, now),
                    requested_at=now)
    session.add(job)
    session.flush()
    audited.requested(session, request, codes, entity_id=job.id)
    enqueue_after_commit(session, job.id)
    return job


def get(session: Session, job_id: int, user) -> ExportJob:
    """The job, if it is ``user``'s (an export holds what its requester may see: no one else's to look at)."""
    job = session.get(ExportJob, job_id)
    if job is None or job.user_id is None or job.user_id != user.id:
        raise NotFound(f"no export job {job_id}")
    return job


def mine(session: Session, user, limit: int = 50) -> list[ExportJob]:
    """The user's jobs, newest first."""
    return list(session.scalars(select(ExportJob).where(ExportJob.user_id == user.id)
                                .order_by(ExportJob.requested_at.desc(), ExportJob.id.desc()).limit(limit)))


def take_file(session: Session, job: ExportJob, user) -> tuple[Path, str, str]:
    """The finished file (path, filename, media type) for ``user`` to download, audited. The first download
    shortens the file's life to a day (AFTER_DOWNLOAD) unless it expires sooner."""
    job = get(session, job.id, user)
    if not job.still_allowed(user):  # not found, as another's: the file holds what is no longer theirs to see
        raise NotFound(f"export job {job.id} was asked for with a role or sites that are no longer yours")
    now = utcnow()
    if job.state in ("queued", "running"):
        raise Refused(f"export job {job.id} is not finished yet ({job.state})")
    if job.state == "failed":
        raise Refused(f"export job {job.id} failed: {job.error}")
    path = Path(job.path) if job.path else None
    if job.state == "expired" or job.expires_at <= now or path is None or not path.is_file():
        raise NotFound(f"the file of export job {job.id} has expired; export again")
    if job.downloaded_at is None:
        job.downloaded_at = now
        job.expires_at = min(job.expires_at, now + AFTER_DOWNLOAD)
    request = job.request()
    audited.downloaded(session, request, [s.code for s in scope.sites(session, request)], job.sha256,
                       entity_id=job.id)
    return path, job.filename, kind(job.kind).media_type

