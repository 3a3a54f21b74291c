"""The audit trail of a subject, of one of its forms and of one item, newest first, keyset-paginated."""
from __future__ import annotations

from ecrf.api import inputs
from ecrf.api import replies as out
from ecrf.api.errors import ApiError
from ecrf.api.forms import FORM, REPEATS
from ecrf.api.forms import target as form_target
from ecrf.api.routing import reply, route
from ecrf.api.subjects import find_subject
from ecrf.audit.models import AuditEvent
from ecrf.casebook import audit_trail as queries
from ecrf.infra.extensions import db

MAX_LIMIT = 200
PAGING = ("before", "limit")
PAGING_HELP = "Keyset pagination: pass `next_before` of a page as `before` to get the next, older page."


def record_model(row: AuditEvent) -> out.AuditRecord:
    """One audit record, every column the reply declares; the reason in words (the stored code is in the CSV)."""
    record = {f: getattr(row, f) for f in out.AuditRecord.model_fields}
    record["reason"] = queries.reason(row)
    return out.AuditRecord(**record)


@route("/subjects/<subject>/audit", "GET", summary="The subject's audit trail, newest first", ok=out.AuditPage,
       query=PAGING, errors=(400, 404), description=PAGING_HELP)
def subject_audit(subject: str):
    found = find_subject(subject)
    return _page(queries.for_subject(found.key))


def _page(stmt):
    before = inputs.int_arg("before", None, 1, inputs.INT64_MAX)
    limit = inputs.int_arg("limit", queries.PAGE_SIZE, 1, MAX_LIMIT)
    page = queries.page(db.session, stmt, queries.Filters(), before, size=limit)
    return reply(out.AuditPage(records=[record_model(r) for r in page.rows], next_before=page.next_before))


@route(FORM + "/audit", "GET", summary="The audit trail of one form and its items, newest first", ok=out.AuditPage,
       query=(*REPEATS, *PAGING), errors=(400, 404), description=PAGING_HELP)
def form_audit(subject: str, event_oid: str, form_oid: str):
    t = form_target(subject, event_oid, form_oid)
    return _page(queries.for_form(t.locator))


@route(FORM + "/items/<item_oid>/audit", "GET", summary="The history of one item of a form, newest first",
       ok=out.AuditPage, query=(*REPEATS, *PAGING), errors=(400, 404),
       description="404 for an item the form does not have. " + PAGING_HELP)
def item_audit(subject: str, event_oid: str, form_oid: str, item_oid: str):
    t = form_target(subject, event_oid, form_oid)
    if not any(i.oid == item_oid for i in t.form.items):
        raise ApiError(404, f"Form {t.form.oid} has no item {item_oid}.")
    return _page(queries.for_item(t.locator, item_oid))
