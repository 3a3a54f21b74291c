"""Mail that is never lost: the outbox is written with the event, the worker delivers over real SMTP
(aiosmtpd), retries with backoff while the server is down, records each attempt, and never sends twice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ecrf.study.clock import utcnow


def _settings(server):
    from ecrf.mail.smtp import SmtpSettings

    return SmtpSettings(host="127.0.0.1", port=server.port, sender="ecrf@trial.example", timeout=5)


def _queue(session, n=1, to="someone@site.example"):
    from ecrf.mail.outbox import enqueue

    ids = [enqueue(session, "test", to, f"Subject {i}", f"Body {i}").id for i in range(n)]
    session.commit()
    return ids


def _message(session, message_id):
    from ecrf.mail.models import OutboxMessage

    session.expire_all()
    return session.get(OutboxMessage, message_id)


def test_a_queued_message_is_delivered_once_with_its_attempt_recorded(session, smtp_server):
    from ecrf.mail.worker import Policy, deliver

    [mid] = _queue(session)
    report = deliver(session, _settings(smtp_server), Policy())
    assert report.sent == [mid]
    [mail] = smtp_server.messages
    assert mail["To"] == "someone@site.example" and mail["Subject"] == "Subject 0"
    assert mail.get_content().strip() == "Body 0" and f"ecrf-outbox-{mid}" in mail["Message-ID"]
    message = _message(session, mid)
    assert message.status == "sent" and message.sent_at is not None and message.attempts == 1
    assert [(a.outcome, a.error) for a in message.attempt_log] == [("sent", None)]
    assert message.attempt_log[0].finished_at >= message.attempt_log[0].started_at
    # delivered is final: later passes, even much later, never send it again
    assert deliver(session, _settings(smtp_server), Policy(), now=utcnow() + timedelta(days=30)).sent == []
    assert len(smtp_server.messages) == 1


def test_server_down_then_up_retries_with_backoff_and_delivers_once(session, smtp_down):
    from ecrf.mail.worker import Policy, deliver

    policy = Policy(first_delay=timedelta(seconds=60))
    [mid] = _queue(session)
    first = deliver(session, _settings(smtp_down), policy)
    assert first.retrying == [mid]
    message = _message(session, mid)
    assert message.status == "queued" and message.attempts == 1
    assert [a.outcome for a in message.attempt_log] == ["failed"]
    assert "Connection" in message.attempt_log[0].error or "refused" in message.attempt_log[0].error.lower()
    wait = message.next_attempt_at - message.attempt_log[0].finished_at
    assert timedelta(seconds=59) <= wait <= timedelta(seconds=61)

    # not due yet: nothing is tried
    assert deliver(session, _settings(smtp_down), policy).retrying == []
    # due, still down: second failure, the wait doubles
    later = message.next_attempt_at + timedelta(seconds=1)
    assert deliver(session, _settings(smtp_down), policy, now=later).retrying == [mid]
    message = _message(session, mid)
    assert message.attempts == 2
    assert timedelta(seconds=119) <= message.next_attempt_at - message.attempt_log[-1].finished_at <= \
        timedelta(seconds=121)

    smtp_down.start()
    due = message.next_attempt_at + timedelta(seconds=1)
    assert deliver(session, _settings(smtp_down), policy, now=due).sent == [mid]
    assert deliver(session, _settings(smtp_down), policy, now=due + timedelta(hours=2)).sent == []
    assert len(smtp_down.messages) == 1
    message = _message(session, mid)
    assert [a.outcome for a in message.attempt_log] == ["failed", "failed", "sent"] and message.status == "sent"


def test_a_worker_that_dies_between_claim_and_send_is_taken_over_after_the_lease(session, smtp_server):
    from ecrf.infra.work import unit_of_work
    from ecrf.mail.worker import Policy, claim, deliver

    policy = Policy(lease=timedelta(minutes=5))
    [mid] = _queue(session)
    claimed = unit_of_work(session, lambda: claim(session, policy))
    assert [m for m, _ in claimed] == [mid]
    # ... and the worker dies here. Within the lease nobody else takes the message:
    assert deliver(session, _settings(smtp_server), policy, now=utcnow() + timedelta(minutes=4)).sent == []
    assert smtp_server.messages == []
    # after it, another worker does, once
    assert deliver(session, _settings(smtp_server), policy, now=utcnow() + timedelta(minutes=6)).sent == [mid]
    assert deliver(session, _settings(smtp_server), policy, now=utcnow() + timedelta(minutes=20)).sent == []
    assert len(smtp_server.messages) == 1
    message = _message(session, mid)
    assert [a.outcome for a in message.attempt_log] == ["lease_expired", "sent"]


def test_a_late_outcome_from_a_worker_whose_lease_ran_out_does_not_count(session, smtp_server):
    from ecrf.infra.work import unit_of_work
    from ecrf.mail.worker import Policy, _finish, claim

    policy = Policy(lease=timedelta(minutes=5))
    [mid] = _queue(session)
    [(_, slow)] = unit_of_work(session, lambda: claim(session, policy))
    [(_, fresh)] = unit_of_work(session, lambda: claim(session, policy, now=utcnow() + timedelta(minutes=6)))
    assert unit_of_work(session, lambda: _finish(session, mid, slow, policy, "timeout")) is None
    assert unit_of_work(session, lambda: _finish(session, mid, fresh, policy, None)) == "sent"
    assert _message(session, mid).status == "sent"


def test_two_workers_never_claim_the_same_message(app, session):
    """Claims made on two connections at once: each message goes to exactly one of them."""
    from sqlalchemy.orm import Session

    from ecrf.infra.extensions import db
    from ecrf.infra.work import unit_of_work
    from ecrf.mail.worker import Policy, claim

    ids = _queue(session, 6)
    policy = Policy(batch=4)
    with Session(db.engine) as one, Session(db.engine) as two:
        first = unit_of_work(one, lambda: claim(one, policy))
        second = unit_of_work(two, lambda: claim(two, policy))
    got = [m for m, _ in first] + [m for m, _ in second]
    assert sorted(got) == ids and len(set(got)) == len(got)


def test_a_recipient_refused_for_good_is_marked_failed_and_kept(session, smtp_server):
    from ecrf.mail.worker import Policy, deliver

    async def refuse(server, session_, envelope, address, rcpt_options):
        return "550 no such user"

    smtp_server.inbox.handle_RCPT = refuse
    [mid] = _queue(session)
    assert deliver(session, _settings(smtp_server), Policy()).failed == [mid]
    message = _message(session, mid)
    assert message.status == "failed" and "550" in message.last_error
    assert [a.outcome for a in message.attempt_log] == ["refused"]


def test_the_outbox_row_is_written_with_the_event_and_gone_with_its_rollback(session):
    from ecrf.mail.models import OutboxMessage
    from ecrf.mail.outbox import enqueue

    enqueue(session, "test", "someone@site.example", "s", "b")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("address", ["no-at-sign", "a@b", "two@x.org, three@y.org", "x@y.org\r\nBcc: z@w.org",
                                     "", "ü@x.org"])
def test_a_bad_address_is_refused_with_a_message(session, address):
    from ecrf.errors import AccountError
    from ecrf.mail.outbox import enqueue

    with pytest.raises(AccountError, match="not an e-mail address"):
        enqueue(session, "test", address, "s", "b")


def test_mail_worker_command_delivers_the_queue_once(app, session, smtp_server, monkeypatch):
    from click.testing import CliRunner

    from ecrf.cli import main

    _queue(session, 2)
    monkeypatch.setenv("ECRF_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("ECRF_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ECRF_SMTP_PORT", str(smtp_server.port))
    result = CliRunner().invoke(main, ["mail-worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "2 sent" in result.output
    assert len(smtp_server.messages) == 2
