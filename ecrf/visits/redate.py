"""Recompute every stored visit date from the visit's declared date item, auditing each change.

Visit dates (``study_event_data.actual_date``) were once the earliest date on any form of the visit, so a
screening visit could be dated by the SLE diagnosis (2018) and day 0 by the dosing-weight date. They are now
the site-local date of the event's ``date_item`` (ecrf.study.schedule) and nothing else. :func:`redate` brings
stored data to that rule: migration 13vd calls it, and so can a test or a maintenance command.

It works on a Connection with plain table expressions, not the ORM, so a migration can run it at its own
revision whatever the models look like later; its audit records are appended by the one chain writer
(ecrf.audit.chain.append), in the caller's transaction, so the hash chain stays valid.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ecrf.audit import chain
from ecrf.study import clock
from ecrf.study.codec import local_date
from ecrf.study.locator import event_key
from ecrf.study.reasons import visit_date_rule
from ecrf.study.schedule import SCHEDULE

_events = sa.table("study_event_data", sa.column("id"), sa.column("subject_id"), sa.column("event_oid"),
                   sa.column("repeat_key"), sa.column("actual_date", sa.Date))
_forms = sa.table("form_data", sa.column("id"), sa.column("event_id"), sa.column("form_oid"),
                  sa.column("repeat_key"))
_items = sa.table("item_data", sa.column("form_id"), sa.column("item_oid"), sa.column("value"))
_subjects = sa.table("subject", sa.column("id"), sa.column("key"), sa.column("site_id"))
_sites = sa.table("site", sa.column("id"), sa.column("code"), sa.column("timezone"))


@dataclass(frozen=True)
class Redated:
    """One visit whose stored date changed: which, and old -> new."""

    event_id: int
    entity_key: str
    old: date | None
    new: date | None


def _declared() -> dict[str, tuple[str, str]]:
    """Event OID -> (form OID, item OID) of its visit date; events without one (subject-level) are left out."""
    return {e.oid: (e.forms[0].form_oid, e.date_item) for e in SCHEDULE if e.date_item}


def _audit_row(row, new: date | None, reason: str) -> dict:
    def text(day: date | None) -> str:  # as the ORM listener writes a changed column (ecrf.audit.trail)
        return json.dumps({"actual_date": day.isoformat() if day else None}, sort_keys=True, ensure_ascii=False)

    return {
        "user_id": None, "username": "system", "role": "system", "actor_sites": None,
        "action": "update", "entity": "study_event_data", "entity_id": str(row.id),
        "entity_key": event_key(row.key, row.event_oid, row.repeat_key), "site_code": row.code,
        "subject_key": row.key, "event_oid": row.event_oid, "form_oid": None, "item_oid": None,
        "old_value": text(row.actual_date), "new_value": text(new), "reason": reason,
    }


def redate(connection: Connection, revision: str) -> list[Redated]:
    """Set every visit's date to its declared item's site-local date (None when the item is empty or the form not
    there), audit each change as the system with the reason "the visit-date rule changed" (``revision`` names the
    migration or run), and return the changes. Visits of events the schedule does not know are left as they are;
    so are subject-level events, which are no visit. Runs in the caller's transaction; idempotent."""
    declared = _declared()
    item_oids = {item for _, item in declared.values()}
    values: dict[tuple[int, str, str], str | None] = {}
    for event_id, form_oid, item_oid, value in connection.execute(
        sa.select(_forms.c.event_id, _forms.c.form_oid, _items.c.item_oid, _items.c.value)
        .join(_items, _items.c.form_id == _forms.c.id)
        .where(_items.c.item_oid.in_(sorted(item_oids)), _forms.c.repeat_key == 1)
    ):
        values[(event_id, form_oid, item_oid)] = value
    rows = connection.execute(
        sa.select(_events.c.id, _events.c.event_oid, _events.c.repeat_key, _events.c.actual_date, _subjects.c.key,
                  _sites.c.code, _sites.c.timezone)
        .join(_subjects, _subjects.c.id == _events.c.subject_id).join(_sites, _sites.c.id == _subjects.c.site_id)
        .where(_events.c.event_oid.in_(sorted(declared))).order_by(_events.c.id)).all()
    reason, changes, audit = visit_date_rule(revision), [], []
    for row in rows:
        form_oid, item_oid = declared[row.event_oid]
        new = local_date(values.get((row.id, form_oid, item_oid)), clock.zone(row.timezone))
        if new == row.actual_date:
            continue
        connection.execute(_events.update().where(_events.c.id == row.id).values(actual_date=new))
        audit.append(_audit_row(row, new, reason))
        changes.append(Redated(row.id, audit[-1]["entity_key"], row.actual_date, new))
    chain.append(connection, audit)
    return changes
