"""``ecrf worker`` as a separate process against a file database: a worker killed mid-job (kill -9) loses nothing,
its job completes exactly once after a new worker starts; SIGTERM gives the running job back at once; SIGINT
lets it finish."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import jobkit
import pytest
from sqlalchemy import func, select

from ecrf.audit.models import AuditEvent

LEASE_SECONDS = 2
STEPS = 10


class Workers:
    """Starts ``ecrf worker -w 1`` processes on the test's database, instance folder and queue."""

    def __init__(self, app, queue, tmp_path: Path, backend: str):
        self.log = tmp_path / "slow-starts.log"
        self.env = dict(os.environ, ECRF_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
                        ECRF_INSTANCE_PATH=app.instance_path, ECRF_SECRET_KEY="test-secret",
                        PYTHONPATH=jobkit.WORKER_PYTHONPATH, JOBKIT_LEASE_SECONDS=str(LEASE_SECONDS),
                        JOBKIT_JOBS_NAME=queue.settings.name, JOBKIT_STEPS=str(STEPS), JOBKIT_STEP_SECONDS="0.3",
                        JOBKIT_LOG=str(self.log))
        self.env.pop("ECRF_REDIS_URL", None)
        if backend == "redis":
            self.env["ECRF_REDIS_URL"] = jobkit.REDIS_URL
        self.tmp, self.started = tmp_path, []

    def start(self) -> subprocess.Popen:
        out = open(self.tmp / f"worker-{len(self.started)}.log", "w")
        proc = subprocess.Popen([sys.executable, "-c", "import jobkit; jobkit.run_worker()"], env=self.env,
                                stdout=out, stderr=subprocess.STDOUT)
        self.started.append((proc, out))
        return proc

    def output(self) -> str:
        return "\n".join(Path(out.name).read_text() for _, out in self.started)

    def starts(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []

    def close(self) -> None:
        for proc, out in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.close()


@pytest.fixture
def workers(app, queue, tmp_path, backend):
    started = Workers(app, queue, tmp_path, backend)
    yield started
    started.close()


def _written(session, job_id) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "export_written", AuditEvent.entity_id == str(job_id)))


def _mid_job(session, job_id, workers):
    try:
        return jobkit.wait_for(session, job_id, timeout=30, until=lambda j: j.state == "running" and j.done >= 2)
    except AssertionError:
        print(workers.output())
        raise


def _expected_file() -> bytes:
    return b"".join(f"step {i}\n".encode() for i in range(STEPS))


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_killed_workers_job_completes_after_restart(session, world, queue, workers):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager", kind="test_slow"))
    first = workers.start()
    running = _mid_job(session, job_id, workers)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    stuck = jobkit.job(session, job_id)
    assert (stuck.state, stuck.attempts) == ("running", 1) and stuck.done >= running.done
    while jobkit.job(session, job_id).lease_until > datetime.now(timezone.utc):  # the dead worker's claim
        time.sleep(0.1)
    second = workers.start()
    try:
        done = jobkit.wait_for(session, job_id, timeout=30)
    except AssertionError:
        print(workers.output())
        raise
    assert (done.state, done.attempts, done.error) == ("done", 2, None)
    assert _written(session, job_id) == 1  # exactly once
    assert Path(done.path).read_bytes() == _expected_file()
    assert sorted(p.name for p in Path(done.path).parent.iterdir()) == [done.filename]  # the partial file is gone
    starts = workers.starts()
    assert len(starts) == 4 and starts[1] == str(first.pid) and starts[3] == str(second.pid)  # "start <pid>" twice
    second.send_signal(signal.SIGINT)
    assert second.wait(20) == 0


def _stopped_mid_job(session, workers, signum) -> int:
    """A slow job, a worker, ``signum`` to the worker mid-job; the worker's clean exit; the job's id."""
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager", kind="test_slow"))
    first = workers.start()
    _mid_job(session, job_id, workers)
    first.send_signal(signum)
    assert first.wait(20) == 0, workers.output()
    return job_id


def test_sigterm_gives_the_running_job_back_to_the_queue(session, world, queue, workers):
    job_id = _stopped_mid_job(session, workers, signal.SIGTERM)
    released = jobkit.job(session, job_id)
    assert (released.state, released.attempts, released.lease_until) == ("queued", 1, None)
    assert queue.waiting() == {job_id}  # back on the queue, not waiting for a lease to run out
    workers.start()
    done = jobkit.wait_for(session, job_id, timeout=30)
    assert (done.state, done.attempts) == ("done", 2) and _written(session, job_id) == 1
    assert Path(done.path).read_bytes() == _expected_file()


def test_sigint_lets_the_running_job_finish(session, world, queue, workers):
    job_id = _stopped_mid_job(session, workers, signal.SIGINT)
    done = jobkit.job(session, job_id)
    assert (done.state, done.attempts) == ("done", 1) and _written(session, job_id) == 1
