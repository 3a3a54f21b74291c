"""The steps of a query: raise, answer, close, cancel, re-open. The one writer of queries and their threads.

Who may take each step (decided here, shown by the faces through :func:`may`):

* raise: monitors and data managers (edit checks raise system queries through :mod:`ecrf.queries.system`);
* answer: site staff (investigator, coordinator), on an open query;
* close, cancel, re-open: the raiser's roles: a monitor's query by monitors, a data manager's by data managers;
  a system query by monitors or data managers (either reviews what a check found; it also closes itself when
  a later save satisfies the check).

Every step needs a text (the message in the thread) and a user of the subject's site. A step on a LOCKED form
is refused (423); a FROZEN form still takes queries. ``user`` is any object with ``id``, ``role`` and
``site_ids`` (the web's and the API's current user). The services flush; the caller commits.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.permissions import QUERY_RAISERS, QUERY_READERS, SITE_STAFF
from ecrf.capture import services as capture
from ecrf.capture.locks import LockState, form_state
from ecrf.capture.models import FormData
from ecrf.errors import Forbidden, Invalid, Locked, NotFound, Refused
from ecrf.queries.models import ACTIVE, ANSWERED, CANCELLED, CLOSED, OPEN, SYSTEM, TEXT_MAX, Query, QueryMessage
from ecrf.study.clock import utcnow

RAISERS = QUERY_RAISERS
#: the roles that close, cancel and re-open a query, by the role that raised it
OWNERS = {"monitor": frozenset({"monitor"}), "data_manager": frozenset({"data_manager"}),
          SYSTEM: frozenset({"monitor", "data_manager"})}
#: who reads threads (the sponsor sees counts only: a thread's free text may identify a participant)
READERS = QUERY_READERS

#: step -> (the states it starts from, the state it leaves)
TRANSITIONS = {
    "answer": (frozenset({OPEN}), ANSWERED),
    "close": (frozenset(ACTIVE), CLOSED),
    "cancel": (frozenset(ACTIVE), CANCELLED),
    "reopen": (frozenset({ANSWERED, CLOSED}), OPEN),
}
_WORDS = {"answer": "answered", "close": "closed", "cancel": "cancelled", "reopen": "re-opened"}


def clean_text(text: str | None) -> str:
    """The message as typed (trimmed); Invalid when empty, too long or holding control characters."""
    text = (text or "").strip()
    if not text:
        raise Invalid({"text": "Write a message: every step of a query says why."})
    if len(text) > TEXT_MAX:
        raise Invalid({"text": f"The message is too long (at most {TEXT_MAX} characters)."})
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise Invalid({"text": "The message contains a control character."})
    return text


def _site_of(form: FormData) -> int:
    return form.event.subject.site_id


def _check_site(user, form: FormData) -> None:
    if _site_of(form) not in user.site_ids:
        raise Forbidden("This query belongs to a subject of another site.")


def _check_unlocked(session: Session, form: FormData) -> None:
    if form_state(session, form) is LockState.LOCKED:
        raise Locked("This form is locked: its queries cannot change.")


def may(user, step: str, query: Query | None = None) -> bool:
    """Whether ``user``'s role may take ``step`` (on ``query``, for the steps after raising); no state check."""
    role = getattr(user, "role", None)
    if step == "raise":
        return role in RAISERS
    if step == "answer":
        return role in SITE_STAFF
    return query is not None and role in OWNERS.get(query.raised_role, frozenset())


def allowed_steps(user, query: Query) -> list[str]:
    """The steps ``user`` may take on ``query`` now (role and state), for the controls a page shows."""
    return [s for s, (start, _) in TRANSITIONS.items() if query.state in start and may(user, s, query)]


def add_message(session: Session, query: Query, step: str, text: str, user_id: int | None, role: str) -> QueryMessage:
    message = QueryMessage(query=query, step=step, user_id=user_id, role=role, text=text, state_after=query.state,
                           at=utcnow())
    session.add(message)
    return message


def raise_query(session: Session, target: capture.Target, item_oid: str, text: str | None, user) -> Query:
    """Open a query on ``item_oid`` of the stored form at ``target``.

    :raises Forbidden: a role that does not raise queries, or another site's subject
    :raises NotFound: the form is not stored yet, or has no item ``item_oid``
    :raises Invalid: no text (``errors["text"]``)
    :raises Locked: the form is locked
    """
    if not may(user, "raise"):
        raise Forbidden(f"The role {user.role} does not raise queries: monitors and data managers do.")
    if target.subject.site_id not in user.site_ids:
        raise Forbidden("This subject belongs to another site.")
    if item_oid not in {i.oid for i in target.form.items}:
        raise NotFound(f"The form {target.form.oid} has no item {item_oid}.")
    form = capture.find_form(session, target)
    if form is None:
        raise NotFound(f"The form {target.form.oid} has not been entered yet: a query needs stored data.")
    text = clean_text(text)
    _check_unlocked(session, form)
    now = utcnow()
    query = Query(form=form, item_oid=item_oid, state=OPEN, raised_by_id=user.id, raised_role=user.role,
                  raised_at=now, updated_at=now)
    session.add(query)
    add_message(session, query, "raise", text, user.id, user.role)
    session.flush()
    return query


def step(session: Session, query: Query, name: str, text: str | None, user) -> Query:
    """Take step ``name`` (answer, close, cancel, reopen) on ``query`` with a message.

    :raises Forbidden: the role may not take this step on this query, or another site's subject
    :raises Refused: the query's state does not allow the step (409)
    :raises Invalid: no text
    :raises Locked: the form is locked
    """
    if name not in TRANSITIONS:
        raise NotFound(f"There is no query step {name}.")
    _check_site(user, query.form)
    if not may(user, name, query):
        if name == "answer":
            raise Forbidden(f"The role {user.role} does not answer queries: the site's staff do.")
        owners = " or ".join(sorted(OWNERS[query.raised_role])).replace("_", " ")
        raiser = "an edit check" if query.is_system else f"a {query.raised_role.replace('_', ' ')}"
        raise Forbidden(f"This query was raised by {raiser}: only a {owners} may {name} it.")
    start, end = TRANSITIONS[name]
    if query.state not in start:
        raise Refused(f"A query that is {query.state} cannot be {_WORDS[name]}.")
    text = clean_text(text)
    _check_unlocked(session, query.form)
    query.state, query.updated_at = end, utcnow()
    add_message(session, query, name, text, user.id, user.role)
    session.flush()
    return query


def get_query(session: Session, query_id: int, user) -> Query:
    """The query ``query_id`` for a reader of threads at its site; NotFound unknown, Forbidden otherwise."""
    query = session.get(Query, query_id)
    if query is None:
        raise NotFound(f"There is no query {query_id}.")
    if getattr(user, "role", None) not in READERS:
        raise Forbidden("Query threads are for site staff, monitors and data managers; you see their counts.")
    _check_site(user, query.form)
    return query


def active_on(session: Session, form_id: int, item_oids, *, system: bool | None = None) -> list[Query]:
    """The open and answered queries on ``item_oids`` of a form (only system ones, or only people's)."""
    stmt = select(Query).where(Query.form_id == form_id, Query.item_oid.in_(list(item_oids)),
                               Query.state.in_(ACTIVE)).order_by(Query.id)
    if system is not None:
        stmt = stmt.where((Query.raised_role == SYSTEM) if system else (Query.raised_role != SYSTEM))
    return list(session.scalars(stmt))


__all__ = ["CANCELLED", "CLOSED", "OWNERS", "RAISERS", "SITE_STAFF", "TRANSITIONS", "active_on", "allowed_steps",
           "get_query", "may", "raise_query", "step"]
