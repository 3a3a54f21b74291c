"""Running one export job, and keeping the queue honest: claim, write, finish, fail; recover and purge.

Exactly once. A worker runs a job only after claiming it in one UPDATE: queued, or running with a lease that ran
out (its worker died). So a task delivered twice runs once, and one re-delivered after a crash runs again. The
claim is renewed while the worker lives; the file is written aside and moved into place in the same
transaction that marks the job done, guarded by the attempt: a worker that lost its claim writes nothing.
"""
from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ecrf.audit.context import Actor, set_actor
from ecrf.auth.models import User
from ecrf.errors import Forbidden, ServiceError
from ecrf.exports import audited, scope
from ecrf.exports.files import Written, write_atomically
from ecrf.exports.kinds import Request, Run, kind
from ecrf.exports.seal import configured as seal_identity
from ecrf.jobs.models import ExportJob
from ecrf.jobs.settings import Settings
from ecrf.study.clock import utcnow

log = logging.getLogger(__name__)

#: progress reaches the database at most this often
PROGRESS_SECONDS = 0.5
#: a queued job younger than this may still be on its way to the queue (submitted, enqueued after commit)
IN_TRANSIT = timedelta(seconds=30)
#: a file is deleted this long after it expired: a download refused at expiry may have been let through just before
PURGE_GRACE = timedelta(minutes=10)
ERROR_CHARS = 2000


class RetryLater(Exception):
    """The attempt failed and the job is queued again: the queue retries it after its delay."""


class LeaseLost(Exception):
    """Another worker holds the job now (this one's lease ran out while it could not renew it): stop, keep nothing."""


def execute(session: Session, job_id: int, settings: Settings) -> str:
    """Run the job if it can be claimed; the outcome in a word (done, not claimed, lease lost, failed).

    Raises RetryLater when the attempt failed and attempts remain."""
    attempt = claim(session, job_id, settings)
    if attempt is None:
        return "not claimed"
    job = session.get(ExportJob, job_id)
    request, final = job.request(), settings.job_dir(job_id) / job.filename
    requester = session.get(User, job.user_id) if job.user_id is not None else None
    # the worker acts for the requester: the written export is recorded as theirs
    set_actor(session, Actor.of(requester) if requester else Actor(None, job.username, job.role))
    _empty(final.parent)  # what a killed attempt left
    beat = _Heartbeat(session.get_bind(), job_id, attempt, settings.lease)
    try:
        if job.user_id is not None and not job.still_allowed(requester):
            raise Forbidden(f"{job.username} no longer has the role or the sites this export was asked for")
        run = Run(identity=seal_identity(settings.instance, settings.config), progress=beat.progress)
        writer = kind(request.kind).write
        with beat:
            written = write_atomically(final.with_name(f".{final.name}.attempt-{attempt}"),
                                       lambda out: writer(session, request, run, out))
        session.rollback()  # the writer only read: the next transaction starts fresh (SQLite's snapshot)
        return _finish(session, job_id, attempt, request, written, final, beat.latest, settings)
    except LeaseLost:
        session.rollback()
        log.warning("export job %s: lease lost in attempt %s, another worker has it", job_id, attempt)
        return "lease lost"
    except Exception as exc:
        session.rollback()
        return _failed(session, job_id, attempt, settings, exc)


def claim(session: Session, job_id: int, settings: Settings, now: datetime | None = None) -> int | None:
    """Take the job, in one UPDATE committed at once: its attempt number, or None when it is not to be run here
    (done, failed, gone, or running under another worker's lease)."""
    now = now or utcnow()
    abandoned = and_(ExportJob.state == "running", ExportJob.lease_until < now,
                     ExportJob.attempts < settings.max_attempts)  # out of attempts: recover() fails it
    taken = _update(session, job_id, or_(ExportJob.state == "queued", abandoned), state="running",
                    attempts=ExportJob.attempts + 1, lease_until=now + settings.lease, started_at=now)
    attempt = session.scalar(select(ExportJob.attempts).where(ExportJob.id == job_id)) if taken else None
    session.commit()
    return attempt


def _finish(session, job_id: int, attempt: int, request: Request, written: Written, final, latest,
            settings: Settings) -> str:
    now = utcnow()
    done, total = latest or (1, 1)
    if not _update(session, job_id, *_held(attempt), state="done", done=total or done, total=total or done,
                   path=str(final), sha256=written.sha256, size=written.size, finished_at=now,
                   expires_at=now + settings.ttl, lease_until=None, error=None):
        session.rollback()
        written.path.unlink(missing_ok=True)
        raise LeaseLost(job_id)
    os.replace(written.path, final)  # inside the transaction that says so: a loser of the claim never moves a file
    codes = [s.code for s in scope.sites(session, request)]
    audited.written(session, request, codes, written.sha256, written.size, entity_id=job_id)
    session.commit()
    return "done"


def _failed(session, job_id: int, attempt: int, settings: Settings, exc: Exception) -> str:
    """Queued again for the retry (RetryLater) while attempts remain; failed at once on a refusal (no attempt
    can change it: the subject is not at the requester's sites), after the last attempt, or in immediate mode
    (its retries would wait in memory for a consumer that never comes)."""
    refusal = isinstance(exc, ServiceError)
    error = (str(exc) if refusal else f"{type(exc).__name__}: {exc}")[:ERROR_CHARS]
    final = refusal or attempt >= settings.max_attempts or settings.immediate
    log.log(logging.WARNING if refusal else logging.ERROR, "export job %s attempt %s failed%s", job_id, attempt,
            "" if final else ", will retry", exc_info=not refusal)
    values = {"state": "failed", "finished_at": utcnow()} if final else {"state": "queued"}
    held = _update(session, job_id, *_held(attempt), error=error, lease_until=None, **values)
    session.commit()
    if not final:
        raise RetryLater(error) from exc
    if held:  # else another worker's attempt owns the folder now
        shutil.rmtree(settings.job_dir(job_id), ignore_errors=True)
    return "failed"


def release(session: Session, job_id: int) -> bool:
    """A worker stopping at once (SIGTERM) gives its running job back to the queue, for the next worker."""
    released = _update(session, job_id, ExportJob.state == "running", state="queued", lease_until=None)
    session.commit()
    return released


def recover(session: Session, settings: Settings, waiting: set[int], now: datetime | None = None) -> list[int]:
    """The jobs to put on the queue again: queued ones no worker will receive (the queue lost them: Redis was
    flushed, the enqueue after commit failed) and running ones whose worker died (the lease ran out); ``waiting``:
    the ids already on the queue or scheduled for a retry. A dead worker's job out of attempts fails instead."""
    now = now or utcnow()
    abandoned = and_(ExportJob.state == "running", ExportJob.lease_until < now)
    session.execute(update(ExportJob).where(abandoned, ExportJob.attempts >= settings.max_attempts).values(
        state="failed", lease_until=None, finished_at=now,
        error=f"gave up after {settings.max_attempts} attempts: the worker stopped before finishing each of them")
        .execution_options(synchronize_session=False))
    lost = and_(ExportJob.state == "queued", ExportJob.requested_at < now - IN_TRANSIT)
    ids = list(session.scalars(select(ExportJob.id).where(or_(lost, abandoned)).order_by(ExportJob.id)))
    session.commit()
    return [i for i in ids if i not in waiting]


def purge(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Delete the files whose time is up (EXPORT_TTL_HOURS after they were written, or a day after the first
    download); their jobs become expired. The number purged."""
    now = now or utcnow()
    due = list(session.scalars(select(ExportJob).where(ExportJob.state == "done",
                                                       ExportJob.expires_at < now - PURGE_GRACE)))
    for job in due:
        shutil.rmtree(settings.job_dir(job.id), ignore_errors=True)
        job.state = "expired"
    session.commit()
    return len(due)


def _held(attempt: int):
    """The job is still this attempt's."""
    return ExportJob.state == "running", ExportJob.attempts == attempt


def _update(session: Session, job_id: int, *where, **values) -> bool:
    result = session.execute(update(ExportJob).where(ExportJob.id == job_id, *where).values(**values)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _empty(directory) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


class _Heartbeat:
    """Writes the job's progress (at most every PROGRESS_SECONDS) and renews its lease (every third of it) from a
    thread of its own, each in a short transaction on its own connection: the writer's session only reads, and a
    long step of the writer (one large casebook) does not let the lease run out while the worker lives."""

    def __init__(self, engine, job_id: int, attempt: int, lease: timedelta):
        self.engine, self.job_id, self.attempt, self.lease = engine, job_id, attempt, lease
        self.latest: tuple[int, int] | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"export-job-{job_id}", daemon=True)

    def progress(self, done: int, total: int) -> None:
        if self.lost:
            raise LeaseLost(self.job_id)
        self.latest = (done, total)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        written, renewed = None, time.monotonic()
        while not self._stop.wait(PROGRESS_SECONDS):
            latest = self.latest
            if latest == written and time.monotonic() - renewed < self.lease.total_seconds() / 3:
                continue
            try:
                held = self._write(latest)
            except SQLAlchemyError:  # the database restarting: try again at the next beat
                log.warning("export job %s: progress not stored", self.job_id, exc_info=True)
                continue
            if not held:
                self.lost = True
                return
            written, renewed = latest, time.monotonic()

    def _write(self, latest: tuple[int, int] | None) -> bool:
        values = {"lease_until": utcnow() + self.lease}
        if latest is not None:
            values.update(done=latest[0], total=latest[1])
        table = ExportJob.__table__
        with self.engine.begin() as connection:
            result = connection.execute(table.update().where(
                table.c.id == self.job_id, table.c.state == "running", table.c.attempts == self.attempt)
                .values(**values))
        return result.rowcount == 1
