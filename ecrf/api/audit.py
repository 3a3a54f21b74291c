"""GET /subjects/{subject}/audit: the subject's audit trail, newest first, keyset-paginated."""
from __future__ import annotations

from flask import jsonify

from ecrf.api import inputs
from ecrf.api.routing import route
from ecrf.api.subjects import find_subject
from ecrf.audit.models import AuditEvent
from ecrf.casebook import audit_trail as queries
from ecrf.infra.extensions import db

MAX_LIMIT = 200
FIELDS = ("seq", "username", "role", "action", "entity", "entity_key", "site_code", "subject_key", "event_oid",
          "form_oid", "item_oid", "old_value", "new_value", "reason", "hash")


def record_json(row: AuditEvent) -> dict:
    """One audit record; ``ts`` in ISO 8601, UTC, with Z."""
    out = {f: getattr(row, f) for f in FIELDS}
    out["ts"] = row.ts.isoformat().replace("+00:00", "Z")
    out["reason"] = queries.reason(row)
    return out


@route("/subjects/<subject>/audit", "GET", summary="The subject's audit trail, newest first", ok="AuditPage",
       query=("before", "limit"), errors=(400, 404),
       description="Keyset pagination: pass `next_before` of a page as `before` to get the next, older page.")
def subject_audit(subject: str):
    found = find_subject(subject)
    before = inputs.int_arg("before", None, 1, inputs.INT64_MAX)
    limit = inputs.int_arg("limit", queries.PAGE_SIZE, 1, MAX_LIMIT)
    page = queries.page(db.session, queries.for_subject(found.key), queries.Filters(), before, size=limit)
    return jsonify(records=[record_json(r) for r in page.rows], next_before=page.next_before)
