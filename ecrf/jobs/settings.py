"""What the jobs read from the app's configuration, in one place (every key has a default here)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

#: a file downloaded once is kept this long after the first download, then deleted (if it has not expired before)
AFTER_DOWNLOAD = timedelta(hours=24)


@dataclass(frozen=True)
class Settings:
    instance: Path  # the instance folder: <instance>/exports/<job id>/, <instance>/jobs.sqlite
    redis_url: str | None  # REDIS_URL (ECRF_REDIS_URL): the queue on Redis; None: on <instance>/jobs.sqlite
    name: str  # JOBS_NAME: the queue's name (its keys on Redis)
    immediate: bool  # JOBS_IMMEDIATE: run each job at once, in the thread that submits it (tests)
    retries: int  # JOBS_RETRIES: a failed attempt is retried this many times (the job then fails)
    retry_delay: float  # JOBS_RETRY_DELAY_SECONDS
    lease: timedelta  # EXPORT_LEASE_SECONDS: a running job's claim, renewed while its worker lives
    ttl: timedelta  # EXPORT_TTL_HOURS (ECRF_EXPORT_TTL_HOURS): how long a finished file is kept
    poll_seconds: float  # JOBS_POLL_SECONDS: the longest a worker sleeps between looks at an idle SQLite queue
    config: Mapping  # the app's, for what the exports read themselves (the seal: ecrf.exports.seal.configured)

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(
            instance=Path(config["INSTANCE_PATH"]),
            redis_url=config.get("REDIS_URL") or None,
            name=config.get("JOBS_NAME", "ecrf"),
            immediate=bool(config.get("JOBS_IMMEDIATE", False)),
            retries=int(config.get("JOBS_RETRIES", 2)),
            retry_delay=float(config.get("JOBS_RETRY_DELAY_SECONDS", 30)),
            lease=timedelta(seconds=float(config.get("EXPORT_LEASE_SECONDS", 60))),
            ttl=timedelta(hours=float(config.get("EXPORT_TTL_HOURS", 72))),
            poll_seconds=float(config.get("JOBS_POLL_SECONDS", 1.0)),
            config=config,
        )

    @property
    def max_attempts(self) -> int:
        return self.retries + 1

    @property
    def exports(self) -> Path:
        return self.instance / "exports"

    def job_dir(self, job_id: int) -> Path:
        return self.exports / str(job_id)
