"""GET /subjects/{subject}/audit: the subject's audit trail, newest first, keyset-paginated."""
from __future__ import annotations

from ecrf.api import inputs
from ecrf.api import replies as out
from ecrf.api.routing import reply, route
from ecrf.api.subjects import find_subject
from ecrf.audit.models import AuditEvent
from ecrf.casebook import audit_trail as queries
from ecrf.infra.extensions import db

MAX_LIMIT = 200


def record_model(row: AuditEvent) -> out.AuditRecord:
    """One audit record, every column the reply declares; the reason in words (the stored code is in the CSV)."""
    record = {f: getattr(row, f) for f in out.AuditRecord.model_fields}
    record["reason"] = queries.reason(row)
    return out.AuditRecord(**record)


@route("/subjects/<subject>/audit", "GET", summary="The subject's audit trail, newest first", ok=out.AuditPage,
       query=("before", "limit"), errors=(400, 404),
       description="Keyset pagination: pass `next_before` of a page as `before` to get the next, older page.")
def subject_audit(subject: str):
    found = find_subject(subject)
    before = inputs.int_arg("before", None, 1, inputs.INT64_MAX)
    limit = inputs.int_arg("limit", queries.PAGE_SIZE, 1, MAX_LIMIT)
    page = queries.page(db.session, queries.for_subject(found.key), queries.Filters(), before, size=limit)
    return reply(out.AuditPage(records=[record_model(r) for r in page.rows], next_before=page.next_before))
