"""The delivery worker: claim due messages under a lease, send each, record the attempt.

Claiming is one conditional UPDATE per message (``WHERE id = ? AND <still due>``) in its own short
transaction; on PostgreSQL the candidates are first selected ``FOR UPDATE SKIP LOCKED`` so concurrent workers
pass over each other's rows instead of queueing on them. SQLite serialises writers, so there the conditional
UPDATE alone decides who wins. Sending happens outside any transaction; the outcome is written only if the
claim is still ours. A worker that dies between claim and send leaves a claim that runs out after the lease,
and the message is claimed again: delivery is at least once, and never again once recorded as sent.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ecrf.infra.work import unit_of_work
from ecrf.mail.models import MailAttempt, OutboxMessage
from ecrf.mail.smtp import PermanentFailure, SmtpSettings, send
from ecrf.study.clock import utcnow


@dataclass(frozen=True)
class Policy:
    """Retry policy: exponential backoff from ``first_delay`` doubling up to ``max_delay``."""

    lease: timedelta = timedelta(minutes=5)
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 25
    batch: int = 20

    @classmethod
    def from_config(cls, config) -> Policy:
        return cls(lease=timedelta(seconds=int(config["MAIL_LEASE_SECONDS"])),
                   first_delay=timedelta(seconds=int(config["MAIL_RETRY_SECONDS"])),
                   max_attempts=int(config["MAIL_MAX_ATTEMPTS"]))

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        return min(self.first_delay * (2 ** max(attempts - 1, 0)), self.max_delay)


@dataclass
class Report:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _due(now: datetime):
    return or_(and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now))


def claim(session: Session, policy: Policy, now: datetime | None = None) -> list[tuple[int, str]]:
    """Claim up to ``policy.batch`` due messages for this worker; returns (message id, claim) pairs.

    Flushes; the caller commits at once (the claim must be visible before anything is sent)."""
    now = now or utcnow()
    ids = list(session.scalars(select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id)
                               .limit(policy.batch).with_for_update(skip_locked=True)))
    claimed = []
    for message_id in ids:
        token = secrets.token_hex(16)
        won = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, _due(now))
            .values(status="sending", claim=token, claimed_until=now + policy.lease)
            .execution_options(synchronize_session=False)).rowcount == 1
        if won:
            # an attempt still open belonged to a claim that ran out: its worker died or hung
            session.execute(update(MailAttempt).where(MailAttempt.message_id == message_id,
                                                      MailAttempt.outcome.is_(None))
                            .values(outcome="lease_expired", finished_at=now)
                            .execution_options(synchronize_session=False))
            session.add(MailAttempt(message_id=message_id, claim=token, started_at=now))
            claimed.append((message_id, token))
    session.flush()
    return claimed


def _finish(session: Session, message_id: int, token: str, policy: Policy, error: str | None,
            permanent: bool = False) -> str | None:
    """Record the outcome of our attempt, if the claim is still ours; returns the message's new status (flushes)."""
    now = utcnow()
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id,
                                                         OutboxMessage.claim == token).with_for_update())
    if message is None or message.status != "sending":
        return None  # our lease ran out and another worker took over: its outcome counts
    attempt = session.scalar(select(MailAttempt).where(MailAttempt.message_id == message_id,
                                                       MailAttempt.claim == token))
    message.attempts += 1
    message.claim, message.claimed_until = None, None
    attempt.finished_at = now
    if error is None:
        message.status, message.sent_at, attempt.outcome = "sent", now, "sent"
    else:
        attempt.outcome, attempt.error = ("refused" if permanent else "failed"), error[:500]
        message.last_error = error[:500]
        if permanent or message.attempts >= policy.max_attempts:
            message.status = "failed"
        else:
            message.status, message.next_attempt_at = "queued", now + policy.delay(message.attempts)
    session.flush()
    return message.status


def deliver(session: Session, settings: SmtpSettings, policy: Policy, now: datetime | None = None) -> Report:
    """One pass: claim what is due and try to send each message once."""
    report = Report()
    for message_id, token in unit_of_work(session, lambda: claim(session, policy, now)):
        message = session.get(OutboxMessage, message_id)
        error, permanent = None, False
        try:
            send(message, settings)
        except PermanentFailure as exc:
            error, permanent = str(exc), True
        except Exception as exc:  # server down, timeout, 4xx, TLS or login trouble: the message waits for a retry
            error = f"{type(exc).__name__}: {exc}"
        session.rollback()  # end the read transaction held while sending; the outcome gets its own
        status = unit_of_work(session, lambda: _finish(session, message_id, token, policy, error, permanent))
        {"sent": report.sent, "queued": report.retrying, "failed": report.failed}.get(status, []).append(message_id)
    return report
