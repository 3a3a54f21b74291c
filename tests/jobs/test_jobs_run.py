"""Jobs run by a real consumer (threads of this process) on SQLite storage and on Redis: done with the file and its
SHA-256, progress stored while running, retried then failed with the error, run once however often delivered,
a lost claim writing nothing, lost jobs recovered."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import jobkit
import pytest
from sqlalchemy import func, select, update

from ecrf.audit.models import AuditEvent
from ecrf.jobs import runner
from ecrf.jobs.models import ExportJob
from ecrf.study.clock import utcnow

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "redis"])


def _written(session, job_id) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "export_written", AuditEvent.entity_id == str(job_id)))


@BACKENDS
def test_a_small_export_completes_on_a_real_consumer(session, world, queue, consumer, backend):
    latencies = []
    for _ in range(5):
        started = time.perf_counter()
        job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
        job = jobkit.wait_for(session, job_id, timeout=10)
        latencies.append(time.perf_counter() - started)
        assert (job.state, job.attempts, job.error) == ("done", 1, None)
        data = Path(job.path).read_bytes()
        assert data == jobkit.TINY and job.sha256 == hashlib.sha256(data).hexdigest() and job.size == len(data)
        assert _written(session, job_id) == 1
        time.sleep(0.3)  # an idle queue between jobs, as in use
    latencies.sort()
    print(f"\n{backend}: submit -> done, median {latencies[2] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")


@BACKENDS
def test_progress_is_stored_while_the_job_runs(session, world, queue, consumer, monkeypatch):
    monkeypatch.setenv("JOBKIT_STEPS", "8")
    monkeypatch.setenv("JOBKIT_STEP_SECONDS", "0.25")
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager", kind="test_slow"))
    running = jobkit.wait_for(session, job_id, until=lambda j: j.state == "running" and 2 <= j.done < j.total)
    assert running.total == 8 and running.lease_until > utcnow()
    done = jobkit.wait_for(session, job_id)
    assert (done.state, done.done, done.total, done.lease_until) == ("done", 8, 8, None)
    assert Path(done.path).read_bytes() == b"".join(f"step {i}\n".encode() for i in range(8))


@BACKENDS
def test_a_failing_writer_ends_failed_with_its_error_after_the_retries(session, world, queue, consumer):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager", kind="test_failing"))
    job = jobkit.wait_for(session, job_id, states=("failed",))
    assert job.attempts == queue.settings.max_attempts == 3
    assert job.error == "RuntimeError: the writer broke on purpose"
    assert job.finished_at is not None and job.path is None and job.lease_until is None
    assert not (queue.settings.exports / str(job_id)).exists() and _written(session, job_id) == 0
    time.sleep(0.5)  # no further attempt comes
    assert jobkit.job(session, job_id).attempts == 3 and queue.waiting() == set()


def test_a_refusal_fails_at_once(session, world, queue, consumer):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager", kind="test_refusing"))
    job = jobkit.wait_for(session, job_id, states=("failed",))
    assert (job.attempts, job.error) == (1, "nothing to export for this request")


def test_a_job_delivered_twice_runs_once(session, world, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    assert runner.execute(session, job_id, queue.settings) == "done"
    assert runner.execute(session, job_id, queue.settings) == "not claimed"
    assert jobkit.job(session, job_id).attempts == 1 and _written(session, job_id) == 1


def test_a_job_running_under_a_live_lease_is_not_taken(session, world, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    assert runner.claim(session, job_id, queue.settings) == 1  # another worker holds it
    assert runner.execute(session, job_id, queue.settings) == "not claimed"
    later = utcnow() + queue.settings.lease + timedelta(seconds=1)  # that worker died: its lease ran out
    assert runner.claim(session, job_id, queue.settings, now=later) == 2


def test_a_job_redelivered_after_its_worker_died_runs_again(session, world, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    assert runner.claim(session, job_id, queue.settings) == 1
    session.execute(update(ExportJob).where(ExportJob.id == job_id).values(lease_until=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert runner.execute(session, job_id, queue.settings) == "done"
    job = jobkit.job(session, job_id)
    assert (job.state, job.attempts) == ("done", 2) and _written(session, job_id) == 1


def test_a_worker_that_lost_its_claim_writes_nothing(session, world, queue, monkeypatch):
    """While this worker writes, its lease runs out and another worker claims the job: this one's file never
    replaces the other's and its completion is not recorded."""
    from ecrf.exports.kinds import kinds

    def taken_over(session_, request, run, out):
        out.write(b"stale")
        with session_.get_bind().begin() as c:
            c.execute(update(ExportJob).where(ExportJob.id == job_id).values(attempts=ExportJob.attempts + 1))

    monkeypatch.setitem(kinds(), "test_tiny", replace(kinds()["test_tiny"], write=taken_over))
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    assert runner.execute(session, job_id, queue.settings) == "lease lost"
    job = jobkit.job(session, job_id)
    assert (job.state, job.attempts, job.path) == ("running", 2, None) and _written(session, job_id) == 0
    assert list((queue.settings.exports / str(job_id)).iterdir()) == []


def test_recovery_puts_lost_jobs_back_and_fails_the_exhausted(session, world, queue):
    settings = queue.settings
    ids = [jobkit.submitted(session, jobkit.request_for(session, "data_manager")) for _ in range(4)]
    lost, on_queue, abandoned, exhausted = ids
    session.execute(update(ExportJob).where(ExportJob.id.in_([abandoned, exhausted])).values(
        state="running", lease_until=utcnow() - timedelta(seconds=1)))
    session.execute(update(ExportJob).where(ExportJob.id == exhausted).values(attempts=settings.max_attempts))
    session.commit()
    assert runner.recover(session, settings, {on_queue}) == [abandoned]  # the queued ones may be in transit
    later = utcnow() + runner.IN_TRANSIT + timedelta(seconds=1)
    assert runner.recover(session, settings, {on_queue}, now=later) == [lost, abandoned]
    failed = jobkit.job(session, exhausted)
    assert failed.state == "failed" and "gave up after 3 attempts" in failed.error


@BACKENDS
def test_a_job_the_queue_lost_completes_when_a_worker_starts(session, world, queue, monkeypatch):
    """Redis flushed (or the SQLite queue file replaced) while no worker ran: the job row is all that is left."""
    from ecrf.jobs import queue as jobs

    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    queue.huey.flush()
    assert queue.waiting() == set()
    monkeypatch.setattr(runner, "IN_TRANSIT", timedelta(0))
    consumer = jobs.start_in_process(workers=1)  # its start-up recovery finds the job
    try:
        job = jobkit.wait_for(session, job_id, timeout=10)
    finally:
        consumer.stop(graceful=True)
    assert (job.state, job.attempts) == ("done", 1) and _written(session, job_id) == 1


@pytest.mark.parametrize("backend", ["immediate"])
def test_the_written_record_names_the_job_and_the_file(session, world, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "coordinator"))
    job = jobkit.job(session, job_id)
    [row] = session.scalars(select(AuditEvent).where(AuditEvent.action == "export_written"))
    assert row.entity_id == str(job_id) and row.site_code == "01" and row.username == "coordinator"
    assert json.loads(row.new_value) == {"kind": "test_tiny", "sites": ["01"], "subject": None,
                                         "sha256": job.sha256, "bytes": job.size}
