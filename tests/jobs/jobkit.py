"""Test-only export kinds (tiny, slow, failing, refusing), the requests and waits the job tests share, and a worker
process running them (``run_worker``: the real ``ecrf worker`` command, with the test kinds registered)."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ecrf.errors import Refused
from ecrf.exports import kinds as kinds_module
from ecrf.exports.kinds import Kind, Request

WORKER_PYTHONPATH = os.pathsep.join([str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[2])])
REDIS_URL = "redis://127.0.0.1:6379/13"
TINY = b"a tiny export\n"


def tiny_write(session, request, run, out) -> None:
    run.progress(0, 1)
    out.write(TINY)
    run.progress(1, 1)


def slow_write(session, request, run, out) -> None:
    """Steps of JOBKIT_STEP_SECONDS each; every start is logged in JOBKIT_LOG (so a test counts the runs)."""
    steps, step = int(os.environ.get("JOBKIT_STEPS", "8")), float(os.environ.get("JOBKIT_STEP_SECONDS", "0.3"))
    if log := os.environ.get("JOBKIT_LOG"):
        with open(log, "a") as f:
            f.write(f"start {os.getpid()}\n")
    for i in range(steps):
        run.progress(i, steps)
        out.write(f"step {i}\n".encode())
        time.sleep(step)
    run.progress(steps, steps)


def failing_write(session, request, run, out) -> None:
    out.write(b"half")
    raise RuntimeError("the writer broke on purpose")


def refusing_write(session, request, run, out) -> None:
    raise Refused("nothing to export for this request")


TEST_KINDS = {
    name: Kind(name, f"Test export ({name})", "export_casebook", "txt", "text/plain", True, writer)
    for name, writer in (("test_tiny", tiny_write), ("test_slow", slow_write), ("test_failing", failing_write),
                         ("test_refusing", refusing_write))
}


def register() -> None:
    kinds_module.kinds().update(TEST_KINDS)


def unregister() -> None:
    for name in TEST_KINDS:
        kinds_module.kinds().pop(name, None)


def request_for(session, username: str, kind: str = "test_tiny", sites: tuple[str, ...] = ("01",),
                subject_key: str | None = None) -> Request:
    """The request a face builds for ``username`` (their own sites of ``sites``), the session acting as them."""
    from sqlalchemy import select

    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User

    user = session.scalar(select(User).where(User.username == username))
    set_actor(session, Actor.of(user))
    site_ids = frozenset(s.id for s in user.sites if s.code in sites)
    return Request(kind, user.username, user.full_name, user.role, site_ids, user_id=user.id, subject_key=subject_key)


def submitted(session, request: Request) -> int:
    """Submit and commit (the face's unit of work); the job's id."""
    from ecrf.jobs import services

    job_id = services.submit(session, request).id
    session.commit()
    return job_id


def job(session, job_id: int):
    """The job as stored now (a fresh read, not the session's cached copy)."""
    from ecrf.jobs.models import ExportJob

    session.rollback()
    return session.get(ExportJob, job_id, populate_existing=True)


def wait_for(session, job_id: int, states=("done", "failed"), timeout: float = 20.0, until=None):
    """Poll the job until its state is one of ``states`` (or ``until(job)`` holds); the job."""
    deadline = time.monotonic() + timeout
    while True:
        found = job(session, job_id)
        if (until(found) if until else found.state in states):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {found.state} ({found.done}/{found.total}, "
                                 f"attempts {found.attempts}, error {found.error!r}) after {timeout} s")
        time.sleep(0.02)


def run_worker() -> None:
    """``ecrf worker -w 1`` with the test kinds and a short lease (JOBKIT_LEASE_SECONDS): a test's subprocess."""
    from ecrf.cli import main
    from ecrf.infra import config

    register()
    config.DEFAULTS.update(EXPORT_LEASE_SECONDS=float(os.environ.get("JOBKIT_LEASE_SECONDS", "2")),
                           JOBS_NAME=os.environ.get("JOBKIT_JOBS_NAME", "ecrf"), JOBS_POLL_SECONDS=0.05)
    sys.exit(main(["worker", "-w", "1"]))
