"""An export job: the request it runs for, its state on the queue, its progress and the file it wrote.

Not audited row by row (no ``__audited__``): its state changes (claimed, progress, retried, released, purged) are
the queue's own operations, not trial data, and would flood the trail with one record per progress step. What a
reader must be able to see is in the audit trail as the export itself: requested (at submit), written (with
the file's SHA-256, when done) and downloaded, each record naming the job's id (ecrf.exports.audited).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ecrf.exports.kinds import Request
from ecrf.infra.db import UTCDateTime
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow

#: queued: waits for a worker (or for its retry); running: claimed by a worker until ``lease_until`` (a worker
#: that died loses its claim when the lease runs out); done: the file is there; failed: gave up, ``error`` says
#: why; expired: the file was deleted (its time ran out, or a day after the first download)
STATES = ("queued", "running", "done", "failed", "expired")


class ExportJob(db.Model):
    __tablename__ = "export_job"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES!r}", name="state_known"),
        CheckConstraint("state <> 'running' OR lease_until IS NOT NULL", name="running_leased"),
        Index("ix_export_job_user", "user_id", "requested_at"),
        Index("ix_export_job_state", "state", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # ecrf.exports.kinds
    state: Mapped[str] = mapped_column(String(10), default="queued")
    # the request, as asked: the job writes what its requester may see, not what the worker could
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the command line
    username: Mapped[str] = mapped_column(String(80))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    site_ids: Mapped[str] = mapped_column(Text)  # comma-separated site ids, ascending
    subject_key: Mapped[str | None] = mapped_column(String(40))
    # progress in the writer's units (subjects, forms); total 0 while unknown
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(200))  # offered to the downloader
    path: Mapped[str | None] = mapped_column(Text)  # the file, once done
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)  # why the last attempt failed
    attempts: Mapped[int] = mapped_column(default=0)  # claims so far (a killed worker's attempt counts)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # of the last attempt
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first download

    @staticmethod
    def encode_sites(site_ids) -> str:
        return ",".join(str(i) for i in sorted(site_ids))

    def still_allowed(self, user) -> bool:
        """Whether ``user`` (the requester, as they are now) may still have what the job holds: active, the same
        role, every site of the request still theirs. An access taken away after the request ends the job."""
        return (user is not None and user.id == self.user_id and user.is_active and user.role == self.role
                and self.request().site_ids <= user.site_ids)

    def request(self) -> Request:
        """The export request this job runs (as submitted)."""
        sites = frozenset(int(i) for i in self.site_ids.split(",") if i)
        return Request(self.kind, self.username, self.full_name, self.role, sites, user_id=self.user_id,
                       subject_key=self.subject_key)
