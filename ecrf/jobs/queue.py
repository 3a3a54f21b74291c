"""The queue the export jobs run on: huey, on ``<instance>/jobs.sqlite`` by default (nothing to install), on Redis
when REDIS_URL (ECRF_REDIS_URL) is set. One task runs a job (ecrf.jobs.runner); a periodic one (each minute, and
at every worker's start) puts lost jobs back on the queue and deletes expired files.

The queue only carries job ids: the job itself is a row (ecrf.jobs.models), so a queue that loses a message
(a worker killed while holding it, a Redis flush) loses nothing the recovery cannot put back.

No Flask here: ``create_app`` calls :func:`configure` with a context factory (``app.app_context``) that each
task enters, and the app's config, read when the queue is first used.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from functools import cached_property

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from huey.signals import SIGNAL_INTERRUPTED
from sqlalchemy import event
from sqlalchemy.orm import Session

from ecrf.infra.extensions import db
from ecrf.jobs import runner
from ecrf.jobs.settings import Settings

log = logging.getLogger(__name__)

RUN_EXPORT = "run_export"


class Queue:
    """The configured app's queue: its huey (made on first use) and the tasks registered on it."""

    def __init__(self, context_factory: Callable[[], AbstractContextManager], config):
        self.context_factory, self.config = context_factory, config
        self._lock = threading.Lock()

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_config(self.config)

    @property
    def huey(self) -> Huey:
        with self._lock:  # two threads enqueueing first must not make two
            return self._huey

    @cached_property
    def _huey(self) -> Huey:
        s = self.settings
        if s.redis_url:
            huey = RedisHuey(s.name, url=s.redis_url, results=False, immediate=s.immediate)
        else:
            s.instance.mkdir(parents=True, exist_ok=True)
            huey = SqliteHuey(s.name, filename=str(s.instance / "jobs.sqlite"), results=False, immediate=s.immediate)
        self._run_export = huey.task(retries=s.retries, retry_delay=s.retry_delay, name=RUN_EXPORT)(self._execute)
        huey.periodic_task(crontab(), name="maintain")(self.maintain)
        huey.on_startup("recover")(self.maintain)
        huey.signal(SIGNAL_INTERRUPTED)(self._interrupted)
        return huey

    def enqueue(self, job_id: int) -> None:
        huey = self.huey  # made on first use, with its tasks
        huey.enqueue(self._run_export.s(job_id))

    def _execute(self, job_id: int) -> None:
        with self.context_factory():
            outcome = runner.execute(db.session, job_id, self.settings)
        log.info("export job %s: %s", job_id, outcome)

    def maintain(self) -> None:
        """Put lost jobs back on the queue, fail those out of attempts, delete expired files."""
        with self.context_factory():
            for job_id in runner.recover(db.session, self.settings, self.waiting()):
                log.warning("export job %s was lost by the queue or its worker: queued again", job_id)
                self.enqueue(job_id)
            runner.purge(db.session, self.settings)

    def waiting(self) -> set[int]:
        """Jobs on the queue or scheduled for a retry."""
        return _job_ids(self.huey.pending()) | _job_ids(self.huey.scheduled())

    def _interrupted(self, signal_name, task, *args, **kwargs) -> None:
        """The consumer stopped at once (SIGTERM) while the task ran: give its job back to the queue."""
        if task.name == RUN_EXPORT:
            with self.context_factory():
                if runner.release(db.session, task.args[0]):
                    self.enqueue(task.args[0])

    def consumer(self, workers: int) -> Consumer:
        """A consumer with ``workers`` threads and the periodic task; an idle SQLite queue is looked at every
        JOBS_POLL_SECONDS at most (Redis blocks on its list, so a job starts at once)."""
        return self.huey.create_consumer(workers=workers, periodic=True, max_delay=self.settings.poll_seconds)

    def describe(self) -> str:
        s = self.settings
        return "Redis (ECRF_REDIS_URL)" if s.redis_url else f"SQLite {s.instance / 'jobs.sqlite'}"


def _job_ids(tasks: Iterable) -> set[int]:
    return {t.args[0] for t in tasks if t.name == RUN_EXPORT}


_queue: Queue | None = None


def configure(context_factory: Callable[[], AbstractContextManager], config) -> None:
    """Called by create_app: ``context_factory()`` is entered around every task (an app context); ``config``
    (the app's) is read when the queue is first used."""
    global _queue
    _queue = Queue(context_factory, config)


def current() -> Queue:
    if _queue is None:
        raise RuntimeError("the job queue is not configured: create the app first (ecrf.app.create_app)")
    return _queue


def start_in_process(workers: int = 1) -> Consumer:
    """A consumer running in this process's threads (``ecrf demo``, tests); the process keeps its own signal
    handlers (huey's would take Ctrl+C from the web server). Call from the main thread; ``stop()`` it."""
    consumer = current().consumer(workers)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer.start()
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
    return consumer


# Enqueued once the transaction that created the job commits: a rolled-back request never reaches the queue,
# a committed job whose enqueue fails (Redis down) is put back by the recovery.
_AFTER_COMMIT = "ecrf.jobs.enqueue_after_commit"


def enqueue_after_commit(session: Session, job_id: int) -> None:
    session.info.setdefault(_AFTER_COMMIT, []).append(job_id)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    if session.in_nested_transaction() or _AFTER_COMMIT not in session.info:
        return  # a savepoint released: the outer transaction may still roll back
    for job_id in session.info.pop(_AFTER_COMMIT):
        try:
            current().enqueue(job_id)
        except Exception:  # the job is committed: the worker's recovery enqueues it (ecrf.jobs.runner.recover)
            log.warning("export job %s committed but not enqueued; the worker's recovery will", job_id,
                        exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_AFTER_COMMIT, None)
