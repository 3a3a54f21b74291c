"""Turns every flush of audited rows into audit records, in the same transaction.

Models opt in with ``__audited__ = True`` and give their identifiers through
``audit_keys()``. Item values get one record per value (old -> new); other
rows get one record per change with the changed columns as JSON. Named events
(logins, exports, signatures) are written with :func:`record`.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session

from ecrf.audit import chain
from ecrf.audit.context import get_actor
from ecrf.audit.models import AuditEvent
from ecrf.errors import AuditBypassError
from ecrf.study import codec

REDACTED = "[redacted]"


def record(session: Session, action: str, entity: str, *, entity_id=None, reason: str | None = None,
           old=None, new=None, **keys) -> None:
    """Write a named audit event (login, lockout, export ...) now, in the session's transaction."""
    chain.append(session.connection(), [_row(session, action, entity, entity_id, keys, _text(old), _text(new), reason)])


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=_plain, ensure_ascii=False)


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def _row(session, action, entity, entity_id, keys, old, new, reason=None) -> dict:
    actor = get_actor(session)
    return {
        "user_id": actor.user_id, "username": actor.username, "role": actor.role, "actor_sites": actor.sites,
        "action": action, "entity": entity, "entity_id": None if entity_id is None else str(entity_id),
        "entity_key": keys.get("entity_key"), "site_code": keys.get("site_code"),
        "subject_key": keys.get("subject_key"), "event_oid": keys.get("event_oid"),
        "form_oid": keys.get("form_oid"), "item_oid": keys.get("item_oid"),
        "old_value": old, "new_value": new,
        "reason": reason if reason is not None else session.info.get("audit_reason"),
    }


def _audited(obj) -> bool:
    return getattr(obj, "__audited__", False)


def _columns(obj):
    ignore = getattr(obj, "__audit_ignore__", frozenset())
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key not in ignore and attr.key != "id":
            yield attr.key


def _shown(obj, key, value):
    if value is not None and key in getattr(obj, "__audit_redact__", ()):
        return REDACTED
    return value


def _changes(session, obj, action) -> dict | None:
    state = inspect(obj)
    if action == "update":
        old, new = {}, {}
        for key in _columns(obj):
            hist = state.attrs[key].history
            if hist.has_changes():
                before = hist.deleted[0] if hist.deleted else None
                after = hist.added[0] if hist.added else None
                if before != after:
                    old[key], new[key] = _shown(obj, key, before), _shown(obj, key, after)
        if not new:
            return None
    elif action == "create":
        old, new = None, {k: _shown(obj, k, v) for k in _columns(obj) if (v := getattr(obj, k)) is not None}
    else:
        old, new = {k: _shown(obj, k, getattr(obj, k)) for k in _columns(obj)}, None
    return {"old": old, "new": new}


def item_state(value: str | None, missing_code: str | None, missing_reason: str | None) -> str | None:
    """What an item's audit record says it holds: its value, or its explicit "no value" answer with the reason
    (``[NOT_DONE] oximeter broken``), so that a flag set or cleared is audited like a value."""
    if value is not None or not missing_code:
        return value
    return codec.encode_missing(missing_code, missing_reason)


def _before(obj, state, key):
    """An attribute's value before this flush (its current value when unchanged)."""
    hist = state.attrs[key].history
    if hist.has_changes():
        return hist.deleted[0] if hist.deleted else None
    return getattr(obj, key)


_ITEM_STATE = ("value", "missing_code", "missing_reason")


def _item_row(session, obj, action) -> dict | None:
    state = inspect(obj)
    old = item_state(*(_before(obj, state, k) for k in _ITEM_STATE))
    new = item_state(obj.value, obj.missing_code, obj.missing_reason)
    if action == "create":
        old = None
    elif action == "delete":
        new = None
    elif old == new:
        return None
    return _row(session, action, "item_data", obj.id, obj.audit_keys(), old, new)


def _rows_for(session, obj, action) -> dict | None:
    table = obj.__tablename__
    if table == "item_data":
        return _item_row(session, obj, action)
    change = _changes(session, obj, action)
    if change is None:
        return None
    return _row(session, action, table, obj.id, obj.audit_keys(), _text(change["old"]), _text(change["new"]))


@event.listens_for(Session, "before_flush")
def _refuse_direct_audit_writes(session, flush_context, instances):
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditBypassError("audit records are written only by the audit trail")


@event.listens_for(Session, "after_flush")
def _write_audit(session, flush_context):
    rows = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if _audited(obj) and (row := _rows_for(session, obj, action)):
                rows.append(row)
    chain.append(session.connection(), rows)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_dml(state):
    """ORM-enabled bulk INSERT/UPDATE/DELETE skip flush events, so they are refused on audited tables."""
    if state.is_insert or state.is_update or state.is_delete:
        for mapper in state.all_mappers:
            if getattr(mapper.class_, "__audited__", False):
                raise AuditBypassError(
                    f"bulk {state.statement.__visit_name__} on {mapper.class_.__tablename__} would bypass "
                    "the audit trail; load and change the objects instead"
                )


@event.listens_for(Mapper, "mapper_configured")
def _load_old_values(mapper, cls):
    """Make audited columns load their old value before a change, so 'old' is never unknown."""
    if getattr(cls, "__audited__", False):
        for attr in mapper.column_attrs:
            event.listen(getattr(cls, attr.key), "set", _noop, active_history=True)


def _noop(target, value, oldvalue, initiator):
    return value

