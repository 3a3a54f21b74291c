"""Twenty simultaneous enrolment requests: exactly 18 enrolled (the cap), distinct numbers, the rest refused."""
from __future__ import annotations

import threading
from datetime import date

from helpers import confirm_eligible, demographics, new_subject
from sqlalchemy import select

REQUESTS, CAP = 20, 18


def test_twenty_concurrent_enrolments_yield_exactly_eighteen(app, world):
    from ecrf.enrolment import services
    from ecrf.errors import Refused
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        keys = []
        for _ in range(REQUESTS):
            subject = new_subject(db.session)
            demographics(db.session, subject)
            confirm_eligible(db.session, subject)
            keys.append(subject.key)
        db.session.remove()
    barrier = threading.Barrier(REQUESTS)
    outcomes: list[str] = []

    def request(key: str) -> None:
        barrier.wait(timeout=30)  # all twenty start together (the pool hands out 15 connections at a time)
        with app.app_context():
            subject = db.session.scalar(select(Subject).where(Subject.key == key))
            try:
                services.enrol(db.session, subject, date.today())
                db.session.commit()
                outcomes.append("enrolled")
            except Refused as exc:
                db.session.rollback()
                outcomes.append(str(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes.count("enrolled") == CAP
    refusals = [o for o in outcomes if o != "enrolled"]
    assert len(refusals) == REQUESTS - CAP and all("cohort is full: 18 of 18" in r for r in refusals)
    with app.app_context():
        numbers = list(db.session.scalars(select(Subject.subject_no).where(Subject.subject_no.is_not(None))))
        assert sorted(numbers) == [f"01-{n:03d}" for n in range(1, CAP + 1)]
        seqs = sorted(db.session.scalars(select(Subject.cohort_seq).where(Subject.cohort_seq.is_not(None))))
        assert seqs == list(range(1, CAP + 1))
        from ecrf.audit.chain import verify

        assert verify(db.session.connection()).ok
