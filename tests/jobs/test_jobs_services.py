"""Submitting, following and downloading export jobs (ecrf.jobs.services), run at once (huey immediate mode) or
left on the queue: the request audited in the caller's transaction, the queue reached only after commit, other
users' jobs not found, the download audited and the file's life shortened by it."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import jobkit
import pytest
from sqlalchemy import select

from ecrf.audit.models import AuditEvent
from ecrf.errors import Forbidden, NotFound, Refused
from ecrf.jobs import services
from ecrf.jobs.settings import AFTER_DOWNLOAD
from ecrf.study.clock import utcnow


def _user(session, username):
    from ecrf.auth.models import User

    return session.scalar(select(User).where(User.username == username))


def _audit(session, action, job_id):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                         AuditEvent.entity_id == str(job_id))))


def test_submit_audits_the_request_and_enqueues_only_after_commit(session, world, queue):
    job = services.submit(session, jobkit.request_for(session, "data_manager"))
    assert job.state == "queued"
    assert job.filename.startswith("CART19-SLE-test-tiny-01-") and job.filename.endswith(".txt")
    [requested] = _audit(session, "export_requested", job.id)  # in the caller's transaction, before any read
    assert requested.username == "data_manager" and requested.site_code == "01"
    assert json.loads(requested.new_value)["kind"] == "test_tiny"
    assert queue.huey.pending_count() == 0  # not before the commit
    session.commit()
    assert queue.waiting() == {job.id}


def test_a_rolled_back_request_never_reaches_the_queue(session, world, queue):
    job_id = services.submit(session, jobkit.request_for(session, "data_manager")).id
    session.rollback()
    assert queue.huey.pending_count() == 0 and jobkit.job(session, job_id) is None
    session.commit()  # a later commit of the same session does not enqueue the forgotten job
    assert queue.huey.pending_count() == 0


def test_a_committed_job_whose_enqueue_failed_is_left_for_recovery(session, world, queue, monkeypatch):
    def down(job_id):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(queue, "enqueue", down)
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))  # the commit does not fail
    assert jobkit.job(session, job_id).state == "queued"
    from ecrf.jobs import runner

    assert runner.recover(session, queue.settings, queue.waiting(), now=utcnow() + runner.IN_TRANSIT * 2) == [job_id]


def test_refusals_at_submit(session, world, queue):
    with pytest.raises(NotFound):
        services.submit(session, jobkit.request_for(session, "data_manager", kind="no_such_kind"))
    with pytest.raises(Forbidden):  # the datasets are for data management and the sponsor
        services.submit(session, jobkit.request_for(session, "coordinator", kind="datasets"))
    with pytest.raises(NotFound):  # coordinator has no site 02
        services.submit(session, jobkit.request_for(session, "coordinator", sites=("02",)))
    with pytest.raises(NotFound):
        services.submit(session, jobkit.request_for(session, "data_manager", subject_key="01-S999"))


@pytest.mark.parametrize("backend", ["immediate"])
def test_immediate_mode_runs_the_job_at_commit(session, world, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    job = jobkit.job(session, job_id)
    assert (job.state, job.attempts, job.done, job.total, job.error) == ("done", 1, 1, 1, None)
    path = Path(job.path)
    assert path == queue.settings.exports / str(job_id) / job.filename
    assert path.read_bytes() == jobkit.TINY
    assert job.sha256 == hashlib.sha256(jobkit.TINY).hexdigest() and job.size == len(jobkit.TINY)
    assert sorted(p.name for p in path.parent.iterdir()) == [job.filename]  # nothing partial left
    assert job.expires_at == job.finished_at + queue.settings.ttl
    [written] = _audit(session, "export_written", job_id)
    assert written.username == "data_manager"  # the worker acts for the requester
    assert json.loads(written.new_value)["sha256"] == job.sha256


@pytest.mark.parametrize("backend", ["immediate"])
def test_another_users_job_is_not_found(session, world, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    mine = _user(session, "data_manager")
    assert services.get(session, job_id, mine).id == job_id
    for other in ("monitor", "sponsor", "coordinator2"):
        with pytest.raises(NotFound):
            services.get(session, job_id, _user(session, other))
        with pytest.raises(NotFound):
            services.take_file(session, services.get(session, job_id, mine), _user(session, other))
        assert services.mine(session, _user(session, other)) == []


@pytest.mark.parametrize("backend", ["immediate"])
def test_mine_lists_newest_first(session, world, queue):
    first = jobkit.submitted(session, jobkit.request_for(session, "monitor"))
    second = jobkit.submitted(session, jobkit.request_for(session, "monitor"))
    jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    assert [j.id for j in services.mine(session, _user(session, "monitor"))] == [second, first]


@pytest.mark.parametrize("backend", ["immediate"])
def test_take_file_audits_the_download_and_keeps_the_file_a_day(session, world, queue):
    user = _user(session, "data_manager")
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    before = utcnow()
    path, filename, media_type = services.take_file(session, services.get(session, job_id, user), user)
    session.commit()
    assert path.read_bytes() == jobkit.TINY and media_type == "text/plain"
    job = jobkit.job(session, job_id)
    assert filename == job.filename and job.downloaded_at >= before
    assert job.expires_at <= job.downloaded_at + AFTER_DOWNLOAD < job.finished_at + queue.settings.ttl
    [downloaded] = _audit(session, "export_downloaded", job_id)
    assert json.loads(downloaded.new_value)["sha256"] == job.sha256 and downloaded.username == "data_manager"
    first = job.downloaded_at
    services.take_file(session, job, user)  # a second download: audited too, the day counts from the first
    session.commit()
    job = jobkit.job(session, job_id)
    assert job.downloaded_at == first and len(_audit(session, "export_downloaded", job_id)) == 2


def test_an_unfinished_job_has_no_file_to_take(session, world, queue):
    user = _user(session, "data_manager")
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))  # no worker: stays queued
    with pytest.raises(Refused):
        services.take_file(session, services.get(session, job_id, user), user)


@pytest.mark.parametrize("backend", ["immediate"])
def test_expired_files_are_purged(session, world, queue):
    from ecrf.jobs import runner

    user = _user(session, "data_manager")
    kept = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    downloaded = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    services.take_file(session, services.get(session, downloaded, user), user)
    session.commit()
    day_after = jobkit.job(session, downloaded).downloaded_at + AFTER_DOWNLOAD + runner.PURGE_GRACE
    assert runner.purge(session, queue.settings, now=day_after - timedelta(seconds=1)) == 0
    assert runner.purge(session, queue.settings, now=day_after + timedelta(seconds=1)) == 1
    gone = jobkit.job(session, downloaded)
    assert gone.state == "expired" and not Path(gone.path).exists()
    assert not (queue.settings.exports / str(downloaded)).exists()
    with pytest.raises(NotFound):
        services.take_file(session, gone, user)
    still = jobkit.job(session, kept)
    assert still.state == "done" and Path(still.path).exists()  # not downloaded: its 72 hours run
    ttl_end = still.expires_at + runner.PURGE_GRACE
    assert runner.purge(session, queue.settings, now=ttl_end + timedelta(seconds=1)) == 1
    assert jobkit.job(session, kept).state == "expired" and not Path(still.path).exists()


@pytest.mark.parametrize("backend", ["immediate"])
def test_a_file_past_its_expiry_is_refused_before_the_purge(session, world, queue, monkeypatch):
    user = _user(session, "data_manager")
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager"))
    job = jobkit.job(session, job_id)
    job.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(NotFound):
        services.take_file(session, jobkit.job(session, job_id), user)


def _move_to_site_02(session, username):
    from ecrf.auth.services import update_access

    update_access(session, _user(session, username), "coordinator", ["02"])
    session.commit()


def test_a_job_whose_requester_lost_the_site_fails_without_reading(session, world, queue):
    from ecrf.jobs import runner

    job_id = jobkit.submitted(session, jobkit.request_for(session, "coordinator"))
    _move_to_site_02(session, "coordinator")
    assert runner.execute(session, job_id, queue.settings) == "failed"
    job = jobkit.job(session, job_id)
    assert (job.state, job.attempts, job.path) == ("failed", 1, None) and "no longer has" in job.error
    assert _audit(session, "export_written", job_id) == []


@pytest.mark.parametrize("backend", ["immediate"])
def test_a_finished_file_is_not_handed_to_a_requester_who_lost_the_site(session, world, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "coordinator"))
    assert jobkit.job(session, job_id).state == "done"
    _move_to_site_02(session, "coordinator")
    user = _user(session, "coordinator")
    with pytest.raises(NotFound):
        services.take_file(session, services.get(session, job_id, user), user)
    assert _audit(session, "export_downloaded", job_id) == []


@pytest.mark.parametrize("backend", ["immediate"])
def test_in_immediate_mode_a_failing_writer_fails_at_once(session, world, queue):
    job_id = jobkit.submitted(session, jobkit.request_for(session, "data_manager", kind="test_failing"))
    job = jobkit.job(session, job_id)
    assert (job.state, job.attempts, job.error) == ("failed", 1, "RuntimeError: the writer broke on purpose")
