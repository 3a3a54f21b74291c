"""Audit trail views: per subject, per form, per item, a CSV export, and the system trail for admins."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from ecrf.audit import chain
from ecrf.audit.models import AuditEvent
from ecrf.audit.trail import record
from ecrf.capture import services
from ecrf.casebook import audit_trail as queries
from ecrf.infra import csvsafe
from ecrf.infra.args import date_arg, int_arg
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.study.literals import INT64_MAX
from ecrf.web.access import load_subject, load_target

bp = Blueprint("audit", __name__)

def _text(name: str, size: int = 80) -> str | None:
    """A filter's text, trimmed; None when empty (an over-long one filters to nothing rather than failing)."""
    value = (request.args.get(name) or "").strip()
    return value[:size] or None


def _filters(tz: ZoneInfo = queries.UTC) -> queries.Filters:
    args = request.args
    return queries.Filters(_text("user"), _text("action", 40), date_arg(args, "from"), date_arg(args, "to"),
                           subject_key=_text("subject", 40), event_oid=_text("event", 64), form_oid=_text("form", 64),
                           item_oid=_text("item", 64), tz=tz)


def _render(title: str, stmt, subject=None, **context):
    tz = subject.site.zone if subject else ZoneInfo("UTC")
    filters = _filters(tz)
    result = queries.page(db.session, stmt, filters, int_arg(request.args, "before", None, 1, INT64_MAX))
    role = current_user.role
    return render_template("audit/trail.html", title=title, page=result, filters=filters, subject=subject,
                           tz=tz, lines=queries.lines(db.session, result.rows, tz, role),
                           choices=queries.choices(), actions=queries.ACTIONS,
                           head=chain.head(db.session.connection()), **context)


def _target(key: str, event_oid: str, form_oid: str) -> services.Target:
    return load_target(key, event_oid, form_oid, current_user)


@bp.get("/subjects/<key>/audit")
def subject(key: str):
    subj = load_subject(key, current_user)
    return _render(f"Audit trail of subject {subj.label}", queries.for_subject(subj.key), subj)


@bp.get("/subjects/<key>/events/<event_oid>/forms/<form_oid>/audit")
def form(key: str, event_oid: str, form_oid: str):
    t = _target(key, event_oid, form_oid)
    stmt = queries.for_form(t.locator)
    return _render(f"Audit trail of {t.form.label} at {t.event.label}, subject {t.subject.label}", stmt, t.subject,
                   target=t)


@bp.get("/subjects/<key>/events/<event_oid>/forms/<form_oid>/items/<item_oid>/audit")
def item(key: str, event_oid: str, form_oid: str, item_oid: str):
    t = _target(key, event_oid, form_oid)
    definition = next((i for i in t.form.items if i.oid == item_oid), None)
    if definition is None:
        abort(404)
    stmt = queries.for_item(t.locator, item_oid)
    return _render(f"History of “{definition.label}” ({item_oid}), subject {t.subject.label}", stmt, t.subject,
                   target=t)


@bp.get("/subjects/<key>/audit.csv")
def subject_csv(key: str):
    subj = load_subject(key, current_user)
    filters = _filters(subj.site.zone)
    stmt = filters.apply(queries.for_subject(subj.key)).order_by(AuditEvent.seq)
    # the export is audited before it is read, so a reader cannot take the trail without leaving a trace
    unit_of_work(db.session, lambda: record(db.session, "export_audit_csv", "subject", entity_id=subj.id,
                                            **subj.audit_keys()))
    text = csvsafe.write([queries.CSV_COLUMNS, *queries.csv_rows(db.session, stmt, current_user.role)])
    seq, digest = chain.head(db.session.connection())
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{subj.key}.csv"',
        "X-Audit-Chain-Head": f"{seq} {digest}"})


@bp.get("/admin/audit")
def system():
    """Accounts, sites and logins; ``scope=all`` adds who did what on subjects, their values and reasons
    withheld (the administrator sees no clinical value: ecrf.study.masking)."""
    stmt = select(AuditEvent)
    if request.args.get("scope") != "all":
        stmt = stmt.where(AuditEvent.subject_key.is_(None))
    return _render("System audit trail (accounts, sites, logins)", stmt)
