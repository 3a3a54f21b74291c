"""Item values against their audit trail: the value stored must be the new value of the last record of its row.

A value changed by raw SQL leaves no record, so it differs from what the trail says; a row inserted or
deleted behind the application's back has no record, or a trail that does not end as the table does.
The capture tables are read by name: this layer sits below them and must not import them.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import column, select, table
from sqlalchemy.engine import Connection

from ecrf.study.codec import encode_missing

_items = table("item_data", column("id"), column("form_id"), column("item_oid"), column("value"),
               column("missing_code"), column("missing_reason"))
_forms = table("form_data", column("id"), column("event_id"), column("form_oid"))
_events = table("study_event_data", column("id"), column("subject_id"), column("event_oid"))
_subjects = table("subject", column("id"), column("key"))


@dataclass(frozen=True)
class Mismatch:
    """An item value that is not what its audit trail says it is (changed behind the application's back)."""

    item_data_id: int
    subject_key: str | None
    form: str | None  # event and form, e.g. "SE.SCREENING/F.VS"
    item_oid: str | None
    stored: str | None
    audited: str | None
    problem: str

    def __str__(self) -> str:
        return (f"subject {self.subject_key}, form {self.form}, item {self.item_oid} (item_data {self.item_data_id}):"
                f" {self.problem}: stored {self.stored!r}, audited {self.audited!r}")


def mismatches(connection: Connection, last_records: dict[str, tuple]) -> list[Mismatch]:
    """Every item row whose value is not the one its last audit record gives.

    ``last_records`` maps an item_data id (as text) to (action, new_value, subject_key, event_oid, form_oid,
    item_oid) of the last record of that row, as the chain walk collected them.
    """
    found = []
    rows = connection.execute(
        select(_items.c.id, _items.c.value, _items.c.item_oid, _subjects.c.key, _events.c.event_oid, _forms.c.form_oid,
               _items.c.missing_code, _items.c.missing_reason)
        .select_from(_items.outerjoin(_forms, _forms.c.id == _items.c.form_id)
                     .outerjoin(_events, _events.c.id == _forms.c.event_id)
                     .outerjoin(_subjects, _subjects.c.id == _events.c.subject_id))
        .order_by(_items.c.id))
    seen = set()
    for item_id, value, item_oid, subject_key, event_oid, form_oid, code, reason in rows:
        if value is None and code:  # the "not done" answer, as the trail records it (audit.trail.item_state)
            value = encode_missing(code, reason)
        last = last_records.get(str(item_id))
        if last is not None and (last[2], last[3], last[4], last[5]) != (subject_key, event_oid, form_oid, item_oid):
            last = None  # an id reused (SQLite) by a row inserted behind the trail: the trail is another item's
        else:
            seen.add(str(item_id))
        where = (item_id, subject_key, f"{event_oid}/{form_oid}", item_oid)
        if last is None:
            found.append(Mismatch(*where, value, None, "no audit record for this value"))
        elif last[0] == "delete":
            found.append(Mismatch(*where, value, None, "the trail records it deleted"))
        elif last[1] != value:
            found.append(Mismatch(*where, value, last[1], "value changed without an audit record"))
    for item_id, (action, new_value, subject_key, event_oid, form_oid, item_oid) in last_records.items():
        if item_id not in seen and action != "delete":
            found.append(Mismatch(int(item_id) if item_id.isdigit() else -1, subject_key, f"{event_oid}/{form_oid}",
                                  item_oid, None, new_value, "value removed without an audit record"))
    return found
