"""Building queries in a given state for the tests (through the services, as the faces do)."""
from __future__ import annotations

from itertools import count

from sqlalchemy import select

_checks = count(1)

ROLES = ("admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor")
#: a user of site 01 per role
USER = {r: r for r in ROLES}
#: the path to each start state from open, and who takes it, by raiser
PATH = {"open": [], "answered": ["answer"], "closed": ["answer", "close"], "cancelled": ["cancel"]}
#: the state each step is tried from
START = {"answer": "open", "close": "answered", "cancel": "open", "reopen": "closed"}
OWNER = {"monitor": "monitor", "data_manager": "data_manager", "system": "data_manager"}


def user(session, name):
    from ecrf.auth.models import User

    return session.scalar(select(User).where(User.username == name))


def target(session, key, form_oid="F.VS"):
    from ecrf.capture.services import resolve
    from ecrf.subjects.models import Subject

    subject = session.scalar(select(Subject).where(Subject.key == key))
    return resolve(subject, "SE.SCREENING", form_oid)


def make_query(session, key, raiser="monitor", state="open", item="I.VS.DIABP", check=None):
    """A query on ``item`` of the subject's F.VS raised by ``raiser`` (a role, or "system"), moved to ``state``;
    committed; returns its id."""
    from ecrf.capture.services import find_form
    from ecrf.queries import services
    from ecrf.queries.system import sync_system_queries
    from ecrf.study.checks import Finding

    t = target(session, key)
    check = check or f"VS.CHECK{next(_checks)}"
    if raiser == "system":
        form = find_form(session, t)
        sync_system_queries(session, form, [Finding(check, item, "Diastolic must be below systolic.")], None)
        q = services.active_on(session, form.id, [item], system=True)[-1]
    else:
        q = services.raise_query(session, t, item, "Please check against the source.", user(session, raiser))
    for step in PATH[state]:
        who = "coordinator" if step == "answer" else OWNER[raiser]
        services.step(session, q, step, f"{step} note", user(session, who))
    session.commit()
    return q.id


def snapshot(session):
    """Every query's state and the number of messages and audit records: 'nothing changed' compares these."""
    from sqlalchemy import func

    from ecrf.audit.models import AuditEvent
    from ecrf.queries.models import Query, QueryMessage

    session.expire_all()
    return (sorted(session.execute(select(Query.id, Query.state)).all()),
            session.scalar(select(func.count(QueryMessage.id))), session.scalar(select(func.count(AuditEvent.seq))))
