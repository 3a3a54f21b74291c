"""The queries capture opens and closes on its own: soft edit-check findings, and data changes answering queries.

Both are installed in ``ecrf.rules.TRIAL_RULES``: :func:`sync_system_queries` as a findings sink,
:func:`answer_by_data_change` as an observer. What they write is attributed to the system (no user, role
"system") in the query thread; the audit trail also names the user whose save caused it.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.models import User
from ecrf.capture.models import FormData
from ecrf.queries.models import ANSWERED, CLOSED, OPEN, SYSTEM, TEXT_MAX, Query
from ecrf.queries.services import active_on, add_message
from ecrf.study.checks import Finding
from ecrf.study.clock import utcnow
from ecrf.study.reasons import decode_reason

#: the reason code (ecrf.study.reasons.REASONS) by which a data change answers the open queries on its items
QUERY_REASON = "QUERY"


def sync_system_queries(session: Session, form: FormData, findings: list[Finding], user_id: int | None) -> None:
    """Open a system query for each finding not already active on (form, item, check); close, with a message,
    each active system query of the form whose check no longer finds anything. ``findings`` is the full list of
    soft findings holding for ``form`` now."""
    holding = {(f.item_oid, f.check_id): f for f in findings}
    active = session.scalars(select(Query).where(Query.form_id == form.id, Query.raised_role == SYSTEM,
                                                 Query.state.in_((OPEN, ANSWERED))).order_by(Query.id)).all()
    known = set()
    now = utcnow()
    for query in active:
        key = (query.item_oid, query.check_id)
        if key in holding:
            known.add(key)
            continue
        query.state, query.updated_at = CLOSED, now
        add_message(session, query, "close", f"Closed automatically: the check {query.check_id} holds now.",
                    None, SYSTEM)
    for key, finding in holding.items():
        if key in known:
            continue
        query = Query(form=form, item_oid=finding.item_oid, state=OPEN, raised_by_id=None, raised_role=SYSTEM,
                      check_id=finding.check_id, raised_at=now, updated_at=now)
        session.add(query)
        add_message(session, query, "raise", (finding.message or finding.check_id)[:TEXT_MAX], None, SYSTEM)
    session.flush()


def answer_by_data_change(session: Session, form: FormData, changed: dict, user_id: int | None) -> None:
    """A change whose reason is QUERY answers the open queries on the changed items, quoting the new value."""
    reason = decode_reason(session.info.get("audit_reason"))
    if reason is None or reason.code != QUERY_REASON:
        return
    queries = [q for q in active_on(session, form.id, changed) if q.state == OPEN]
    if not queries:
        return
    user = session.get(User, user_id) if user_id is not None else None
    note = reason.params.get("note")
    now = utcnow()
    for query in queries:
        value = changed[query.item_oid]
        said = f'Answered by a data change: the value is now "{value}".' if value is not None else \
            "Answered by a data change: the value was cleared."
        if note:
            said += f" Reason: {note}"
        query.state, query.updated_at = ANSWERED, now
        add_message(session, query, "answer", said[:TEXT_MAX], user_id, user.role if user else SYSTEM)
    session.flush()
