"""Freeze and lock of captured data: the state of a form, the data manager's freeze/lock/undo, and enforcement.

* ``LockState``: OPEN, FROZEN (queries and SDV still allowed, no data change), LOCKED (nothing changes).
* ``form_state(session, form) -> LockState``: the state that applies to one stored form (its own lock, or
  one of its visit, casebook, site, study, or an "up to event" lock covering it). Lock beats freeze.
* ``states_for_subject`` / ``states_for_site`` / ``states_for_forms``: the same for many forms, in a constant
  number of statements (the grid, dashboards, recomputation).

The rows are :class:`ecrf.capture.lock_models.DataLock` (one source of truth: ``FormData`` carries no lock
columns). "Up to event X" covers the *scheduled* visits from the first through X in schedule order
(``ecrf.study.schedule``). It does not cover the subject-level forms (SE.SUBJECT: consent, demographics, adverse
events and medications go on being reported through follow-up), the unscheduled visits or the end of study:
they have no place in the schedule's order; freeze or lock them by a lock without "up to" (or per visit/form).

Enforcement, on every write path:

* :func:`ecrf.capture.services.save_form` asks :func:`refuse_if_closed` first (a clear 423 with the reason),
  also for a form not stored yet at a frozen or locked visit, casebook, site or study.
* :func:`ecrf.capture.derived.recalculate_dependents` skips frozen and locked forms (their calculated values
  stay as they were; the first save after an undo recomputes them).
* the ``before_flush`` listener below is the backstop: any insert, update or delete of ``ItemData``,
  ``FormData`` or ``StudyEventData`` under a freeze or lock raises :class:`Locked`, so a service that bypasses
  save_form (a visit marked not done, a direct ORM write) is refused too. It costs nothing for a flush without
  data rows, and one ``EXISTS`` query for a flush with data rows while no lock is active anywhere.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import event, exists, inspect, or_, select
from sqlalchemy.orm import Session, scoped_session

from ecrf.auth.permissions import can
from ecrf.capture.lock_models import LEVELS, SCOPES, UNDO_COLUMNS, DataLock
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.errors import Forbidden, Invalid, Locked, NotFound, Refused
from ecrf.study.clock import utcnow
from ecrf.study.definition import load as load_study
from ecrf.subjects.models import Subject

REASON_MAX = 1000


class LockState(str, Enum):
    OPEN = "open"
    FROZEN = "frozen"
    LOCKED = "locked"


@dataclass(frozen=True)
class Place:
    """Where a write lands: a visit (``form_oid`` None) or a form at it."""

    site_id: int
    subject_id: int
    event_oid: str
    event_repeat: int = 1
    form_oid: str | None = None
    form_repeat: int | None = None


# -- the schedule's order --------------------------------------------------------------------------------------------

def scheduled_order() -> dict[str, int]:
    """Scheduled visit OID -> its place in the schedule (what "up to" counts along)."""
    return {e.oid: n for n, e in enumerate(e for e in load_study().events if e.type == "Scheduled")}


def in_range(event_oid: str, up_to: str | None, order: dict[str, int] | None = None) -> bool:
    if up_to is None:
        return True
    order = order if order is not None else scheduled_order()
    return event_oid in order and up_to in order and order[event_oid] <= order[up_to]


# -- which lock covers what ------------------------------------------------------------------------------------------

def covers(lock: DataLock, place: Place, order: dict[str, int] | None = None) -> bool:
    """Whether the active ``lock`` applies to ``place`` (a visit row is covered by visit-wide scopes only)."""
    if lock.scope != "study":
        if lock.site_id != place.site_id:
            return False
        if lock.scope != "site":
            if lock.subject_id != place.subject_id:
                return False
            if lock.scope in ("event", "form"):
                if (lock.event_oid, lock.event_repeat or 1) != (place.event_oid, place.event_repeat):
                    return False
                if lock.scope == "event":
                    return True
                return place.form_oid is not None and (lock.form_oid, lock.form_repeat or 1) == (
                    place.form_oid, place.form_repeat or 1)
    return in_range(place.event_oid, lock.up_to_event_oid, order)


def strongest(locks, place: Place, order: dict[str, int] | None = None) -> DataLock | None:
    """The lock that decides ``place``: a lock beats a freeze; among equals the oldest."""
    order = order if order is not None else scheduled_order()
    found = [lk for lk in locks if covers(lk, place, order)]
    if not found:
        return None
    return min(found, key=lambda lk: (lk.level != "locked", lk.created_at, lk.id or 0))


def state_of(lock: DataLock | None) -> LockState:
    return LockState.OPEN if lock is None else LockState(lock.level)


def _active(session: Session, site_ids=(), subject_ids=()) -> list[DataLock]:
    """Active locks that may cover the given sites or subjects (one statement)."""
    site_ids, subject_ids = set(site_ids), set(subject_ids)
    wide = [DataLock.scope == "study"]
    if site_ids:
        wide.append((DataLock.scope == "site") & DataLock.site_id.in_(site_ids))
    if subject_ids:
        wide.append(DataLock.subject_id.in_(subject_ids))
    return list(session.scalars(select(DataLock).where(DataLock.undone_at.is_(None), or_(*wide))
                                .order_by(DataLock.id)))


_CACHE = "ecrf.capture.locks"


def _cache(session: Session) -> dict:
    """Per transaction: subject id -> the active locks that may cover it (``"*"``: none is active anywhere).

    Forgotten when the transaction ends, when a flush carries a lock row, and on any rollback."""
    if isinstance(session, scoped_session):
        session = session()
    tx = session.get_transaction()
    cached = session.info.get(_CACHE)
    if cached is None or cached[0] is not tx or tx is None:
        cached = (tx, {})
        session.info[_CACHE] = cached
    return cached[1]


def forget(session: Session) -> None:
    session.info.pop(_CACHE, None)


def _locks_for(session: Session, sites: dict[int, int]) -> list[DataLock]:
    """Active locks that may cover the subjects ``sites`` (subject id -> site id): from the transaction's cache,
    else one statement."""
    known = _cache(session)
    if known.get("*"):
        return []
    missing = {s for s in sites if s not in known}
    if missing:
        rows = _active(session, {sites[s] for s in missing}, missing)
        known = _cache(session)  # the statement may have begun the transaction
        for s in missing:
            known[s] = rows
    seen, out = set(), []
    for s in sites:
        for lock in known.get(s, ()):
            if lock.id not in seen:
                seen.add(lock.id)
                out.append(lock)
    return out


def any_active(session: Session) -> bool:
    """Whether any freeze or lock is in force anywhere (one EXISTS, remembered for the transaction)."""
    known = _cache(session)
    if known.get("*"):
        return False
    if any(known.values()):
        return True
    found = bool(session.scalar(select(exists().where(DataLock.undone_at.is_(None)))))
    if not found:
        _cache(session)["*"] = True
    return found


def place_of(form: FormData) -> Place:
    ev = form.event  # relationships, not foreign keys: a pending row has no ids yet
    return Place(ev.subject.site_id, ev.subject.id, ev.event_oid, ev.repeat_key or 1, form.form_oid,
                 form.repeat_key or 1)


def lock_for(session: Session, place: Place) -> DataLock | None:
    return strongest(_locks_for(session, {place.subject_id: place.site_id}), place)


def form_state(session: Session, form) -> LockState:
    return state_of(lock_for(session, place_of(form)))


def event_state(session: Session, subject: Subject, event_oid: str, repeat: int = 1) -> LockState:
    """The state of a visit row (visit, casebook, site, study locks; not a lock of one of its forms)."""
    return state_of(lock_for(session, Place(subject.site_id, subject.id, event_oid, repeat)))


def subject_state(session: Session, subject: Subject) -> LockState:
    """The state of the whole casebook: frozen/locked only by a subject, site or study lock without "up to"."""
    whole = [lk for lk in _active(session, {subject.site_id}, {subject.id})
             if lk.scope in ("subject", "site", "study") and lk.up_to_event_oid is None]
    if not whole:
        return LockState.OPEN
    return LockState.LOCKED if any(lk.level == "locked" for lk in whole) else LockState.FROZEN


def _states(rows, locks) -> dict[int, LockState]:
    order = scheduled_order()
    return {fid: state_of(strongest(locks, Place(site, subj, ev, er, foid, fr), order))
            for fid, site, subj, ev, er, foid, fr in rows}


_FORM_ROWS = (FormData.id, Subject.site_id, StudyEventData.subject_id, StudyEventData.event_oid,
              StudyEventData.repeat_key, FormData.form_oid, FormData.repeat_key)


def states_of_rows(session: Session, rows) -> dict[int, LockState]:
    """form id -> state for rows of (form id, site id, subject id, event OID, event repeat, form OID, form repeat)
    already read by the caller (one statement, for the active locks of their sites and subjects)."""
    rows = list(rows)
    if not rows:
        return {}
    return _states(rows, _active(session, {r[1] for r in rows}, {r[2] for r in rows}))


def states_for_subject(session: Session, subject_id: int) -> dict[int, LockState]:
    """form id -> state, for every stored form of the subject (two statements)."""
    rows = session.execute(select(*_FORM_ROWS).join(FormData.event).join(StudyEventData.subject)
                           .where(StudyEventData.subject_id == subject_id)).all()
    if not rows:
        return {}
    return _states(rows, _active(session, {rows[0][1]}, {subject_id}))


def states_for_site(session: Session, site_id: int) -> dict[int, LockState]:
    """form id -> state, for every stored form at the site (two statements, whatever the number of subjects)."""
    rows = session.execute(select(*_FORM_ROWS).join(FormData.event).join(StudyEventData.subject)
                           .where(Subject.site_id == site_id)).all()
    locks = list(session.scalars(select(DataLock).where(
        DataLock.undone_at.is_(None), or_(DataLock.scope == "study", DataLock.site_id == site_id))))
    return _states(rows, locks)


def states_for_forms(session: Session, forms: list[FormData]) -> dict[int, LockState]:
    """form id -> state for loaded forms (at most one statement; none when the transaction knows the locks)."""
    if not forms:
        return {}
    places = {f.id: place_of(f) for f in forms}
    locks = _locks_for(session, {p.subject_id: p.site_id for p in places.values()})
    order = scheduled_order()
    return {fid: state_of(strongest(locks, p, order)) for fid, p in places.items()}


# -- refusing writes -------------------------------------------------------------------------------------------------

def describe(lock: DataLock) -> str:
    """``the site 01 lock (up to SE.M6)``."""
    up_to = f", up to {lock.up_to_event_oid}" if lock.up_to_event_oid else ""
    noun = "lock" if lock.level == "locked" else "freeze"
    return f"{lock.scope} {noun} of {lock.target_key}{up_to}"


def refusal(lock: DataLock, what: str = "form") -> Locked:
    level = "locked" if lock.level == "locked" else "frozen"
    return Locked(f"This {what} is {level} ({describe(lock)}): {lock.reason}. "
                  f"A data manager must undo the {'lock' if level == 'locked' else 'freeze'} before it can be changed.")


def refuse_if_closed(session: Session, place: Place, what: str = "form") -> None:
    """Raise Locked when a freeze or lock covers ``place``."""
    lock = lock_for(session, place)
    if lock is not None:
        raise refusal(lock, what)


def _place_of_row(session: Session, obj) -> tuple[Place, str] | None:
    """Where a pending data row lands (its relationships, or its foreign keys when only those are set)."""
    if isinstance(obj, ItemData):
        form = obj.form if obj.form is not None else session.get(FormData, obj.form_id)
        return (place_of(form), "form") if form is not None else None
    if isinstance(obj, FormData):
        ev = obj.event if obj.event is not None else session.get(StudyEventData, obj.event_id)
        if ev is None:
            return None
        subject = ev.subject if ev.subject is not None else session.get(Subject, ev.subject_id)
        return Place(subject.site_id, subject.id, ev.event_oid, ev.repeat_key or 1, obj.form_oid,
                     obj.repeat_key or 1), "form"
    subject = obj.subject if obj.subject is not None else session.get(Subject, obj.subject_id)
    return Place(subject.site_id, subject.id, obj.event_oid, obj.repeat_key or 1), "visit"


_DATA = (ItemData, FormData, StudyEventData)


def _check_lock_rows(session: Session) -> None:
    """Lock rows are append-only: never deleted; changed only by one undo (its three columns)."""
    for obj in session.deleted:
        if isinstance(obj, DataLock):
            raise Refused("A freeze or lock is never deleted; undo it with a reason.")
    for obj in session.dirty:
        if isinstance(obj, DataLock) and session.is_modified(obj, include_collections=False):
            state = inspect(obj)
            changed = {a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()}
            was_undone = state.attrs.undone_at.history.deleted
            if changed - UNDO_COLUMNS or (was_undone and was_undone[0] is not None):
                raise Refused("A freeze or lock is not changed; undo it with a reason and make a new one.")


@event.listens_for(Session, "before_flush")
def _refuse_writes_under_lock(session: Session, flush_context, instances) -> None:
    if any(isinstance(o, DataLock) for o in (*session.new, *session.deleted, *session.dirty)):
        forget(session)
        _check_lock_rows(session)
    pending = [o for o in session.new if isinstance(o, _DATA)]
    pending += [o for o in session.deleted if isinstance(o, _DATA)]
    pending += [o for o in session.dirty
                if isinstance(o, _DATA) and session.is_modified(o, include_collections=False)]
    if not pending:
        return
    with session.no_autoflush:
        known = _cache(session)
        if known.get("*") or (not known and not any_active(session)):
            return  # nothing is frozen or locked anywhere: no row is even looked at
        places = [p for o in pending if (p := _place_of_row(session, o)) is not None]
        subjects = {p.subject_id: p.site_id for p, _ in places}
        if not subjects.keys() <= _cache(session).keys() and not any_active(session):
            return
        locks = _locks_for(session, subjects)
        order = scheduled_order()
        for place, what in places:
            if (lock := strongest(locks, place, order)) is not None:
                raise refusal(lock, what)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    forget(session)


# -- the data manager's actions ---------------------------------------------------------------------------------------

def _reason(text: str | None, field: str = "reason") -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid({field: "Give the reason (it is kept with the record)."})
    if len(text) > REASON_MAX:
        raise Invalid({field: f"The reason is too long (at most {REASON_MAX} characters)."})
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t\r" for c in text):
        raise Invalid({field: "The reason contains a control character."})
    return text


def _may(user, site_id: int | None, action: str = "lock") -> None:
    if not can(user, action):
        raise Forbidden("Only a data manager freezes, locks or undoes.")
    if site_id is not None and site_id not in user.site_ids:
        raise Forbidden("This site is not one of yours.")


def close(session: Session, user, *, scope: str, level: str, reason: str | None, site=None,
          subject: Subject | None = None, event_oid: str | None = None, event_repeat: int = 1,
          form_oid: str | None = None, form_repeat: int = 1, up_to_event_oid: str | None = None) -> DataLock:
    """Freeze (``level="frozen"``) or lock (``"locked"``) a scope; returns the new row, flushed.

    :param site: the Site for scope "site" (for narrower scopes, the subject's)
    :raises Invalid: no reason, an unknown scope/level/visit/form, "up to" a visit that is not scheduled
    :raises Forbidden: not a data manager, or another site's
    :raises Refused: the same freeze or lock is already in force
    """
    errors = {}
    if scope not in SCOPES:
        errors["scope"] = f"Choose a scope: {', '.join(SCOPES)}."
    if level not in LEVELS:
        errors["level"] = "Choose frozen or locked."
    study = load_study()
    if scope == "site" and site is None:
        errors["site"] = "Choose a site."
    if scope in ("subject", "event", "form") and subject is None:
        errors["subject"] = "Choose a subject."
    if scope in ("event", "form"):
        ev = study.event(event_oid or "")
        if ev is None:
            errors["event_oid"] = "Choose a visit of the schedule."
        elif event_repeat < 1 or (event_repeat > 1 and not ev.repeating):
            errors["event_repeat"] = "This visit does not repeat."
    if scope == "form" and not errors.get("event_oid"):
        fm = study.form(form_oid or "")
        if fm is None or not study.event_has_form(event_oid, form_oid):
            errors["form_oid"] = "Choose a form collected at this visit."
        elif form_repeat < 1 or (form_repeat > 1 and not fm.repeating):
            errors["form_repeat"] = "This form does not repeat."
    if up_to_event_oid:
        if scope not in ("subject", "site", "study"):
            errors["up_to_event_oid"] = "\"Up to a visit\" applies to a casebook, a site or the study."
        elif up_to_event_oid not in scheduled_order():
            errors["up_to_event_oid"] = "Choose a scheduled visit."
    try:
        reason = _reason(reason)
    except Invalid as exc:
        errors.update(exc.errors)
    if errors:
        raise Invalid(errors)
    site_id = None if scope == "study" else (site.id if scope == "site" else subject.site_id)
    _may(user, site_id, "freeze" if level == "frozen" else "lock")
    narrow = scope in ("subject", "event", "form")
    row = DataLock(
        scope=scope, level=level, site_id=site_id, subject_id=subject.id if narrow else None,
        site=None if scope == "study" else (site if scope == "site" else subject.site),
        subject=subject if narrow else None,
        event_oid=event_oid if scope in ("event", "form") else None,
        event_repeat=event_repeat if scope in ("event", "form") else None,
        form_oid=form_oid if scope == "form" else None, form_repeat=form_repeat if scope == "form" else None,
        up_to_event_oid=up_to_event_oid or None, reason=reason, created_by_id=user.id, created_at=utcnow())
    same = session.scalar(select(DataLock).where(
        DataLock.undone_at.is_(None), DataLock.scope == row.scope, DataLock.level == row.level,
        _eq(DataLock.site_id, row.site_id), _eq(DataLock.subject_id, row.subject_id),
        _eq(DataLock.event_oid, row.event_oid), _eq(DataLock.event_repeat, row.event_repeat),
        _eq(DataLock.form_oid, row.form_oid), _eq(DataLock.form_repeat, row.form_repeat),
        _eq(DataLock.up_to_event_oid, row.up_to_event_oid)))
    if same is not None:
        raise Refused(f"This {row.level.replace('locked', 'lock').replace('frozen', 'freeze')} is already in force "
                      f"(since {same.created_at:%Y-%m-%d %H:%M} UTC).")
    session.add(row)
    session.flush()
    return row


def _eq(column, value):
    return column.is_(None) if value is None else column == value


def undo(session: Session, user, lock_id: int, reason: str | None) -> DataLock:
    """Undo a freeze or lock with a reason (the row stays, with who, when and why it was undone)."""
    row = session.get(DataLock, lock_id)
    if row is None:
        raise NotFound(f"There is no freeze or lock {lock_id}.")
    _may(user, row.site_id, "freeze" if row.level == "frozen" else "lock")
    reason = _reason(reason, "undo_reason")
    if row.undone_at is not None:
        raise Refused(f"This {row.scope} {row.level} was already undone.")
    row.undone_at, row.undone_by_id, row.undo_reason = utcnow(), user.id, reason
    session.flush()
    return row


def visible(session: Session, site_ids: set[int], subject_id: int | None = None,
            active_only: bool = False) -> list[DataLock]:
    """Current and past locks the reader may see (study-wide, and those of their sites), newest first."""
    query = select(DataLock).where(or_(DataLock.site_id.is_(None), DataLock.site_id.in_(site_ids or {-1})))
    if subject_id is not None:
        subject = session.get(Subject, subject_id)
        query = query.where(or_(DataLock.subject_id == subject_id, DataLock.scope == "study",
                                (DataLock.scope == "site") & (DataLock.site_id == subject.site_id)))
    if active_only:
        query = query.where(DataLock.undone_at.is_(None))
    return list(session.scalars(query.order_by(DataLock.id.desc())))
