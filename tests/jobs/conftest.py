"""The job queue of the test's app on a backend (SQLite storage by default; a test parametrizes ``backend`` with
"redis" or "immediate"), the test export kinds, and an in-process consumer."""
from __future__ import annotations

import uuid

import jobkit
import pytest


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def queue(app, backend):
    """The app's queue: its own huey name (its own keys on Redis, flushed at the end), quick retries and polls.

    The queue reads the app's config when first used, so these settings apply to the app of the ``app`` fixture."""
    from ecrf.jobs import queue as jobs

    app.config.update(JOBS_NAME=f"ecrf_test_{uuid.uuid4().hex[:12]}", JOBS_RETRY_DELAY_SECONDS=0.1,
                      EXPORT_LEASE_SECONDS=3, JOBS_POLL_SECONDS=0.05, JOBS_IMMEDIATE=backend == "immediate",
                      REDIS_URL=jobkit.REDIS_URL if backend == "redis" else None)
    q = jobs.current()
    jobkit.register()
    yield q
    jobkit.unregister()
    if "_huey" in q.__dict__:  # only what this test made
        q.huey.flush()


@pytest.fixture
def consumer(queue):
    """Two worker threads in this process, running the queue's jobs until the test ends."""
    from ecrf.jobs import queue as jobs

    running = jobs.start_in_process(workers=2)
    yield running
    running.stop(graceful=True)
