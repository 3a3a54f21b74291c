"""Data entry: show a CRF with its stored values, and save it through the capture service."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ecrf.auth.permissions import can
from ecrf.capture import checks, derived, locks, rules, services
from ecrf.capture.locks import LockState, form_state
from ecrf.casebook import entry_order
from ecrf.errors import Invalid, Refused, ServiceError
from ecrf.forms.builder import form_class, hint, missing_field, reason_field
from ecrf.infra.args import int_arg
from ecrf.infra.extensions import db
from ecrf.queries import counts as query_counts
from ecrf.queries import services as queries
from ecrf.sdv import services as sdv
from ecrf.study import masking
from ecrf.study.codec import to_input
from ecrf.study.types import MISSING_CODES
from ecrf.study.validation import Context, clean_all
from ecrf.web.access import load_target
from ecrf.web.actions import perform

bp = Blueprint("capture", __name__, url_prefix="/subjects/<key>/events/<event_oid>/forms/<form_oid>")


def _target(key: str, event_oid: str, form_oid: str) -> services.Target:
    return load_target(key, event_oid, form_oid, current_user)


def _reduced(t: services.Target, values: dict) -> dict[str, str]:
    """The items this reader sees reduced or withheld (ecrf.study.masking), with what is shown instead."""
    role = current_user.role
    return {i.oid: masking.masked(i, values.get(i.oid), role) or "" for i in t.form.items if masking.reduces(i, role)}


def _missing_input(t: services.Target) -> dict:
    """The "not done"/"unknown" answers submitted, by item OID (the capture service checks them)."""
    return {i.oid: {"code": request.form.get(missing_field(i.oid)), "reason": request.form.get(reason_field(i.oid))}
            for i in t.form.items if i.missing_allowed and request.form.get(missing_field(i.oid))}


def _warnings(t: services.Target, stored, ctx: Context, typed: dict | None = None) -> dict[str, list[str]]:
    """The soft edit checks that do not hold, by item: for the values stored, or for those just typed (a refused
    save shows every message at once, hard at the fields as errors and soft as warnings)."""
    if typed is not None:
        values, _ = clean_all(t.form.items, typed, ctx)
        _, soft = checks.checks_for(db.session, t, values, ctx)
    else:
        _, soft = checks.stored_findings(db.session, t, stored, ctx)
    out: dict[str, list[str]] = {}
    for finding in soft:
        out.setdefault(finding.item_oid, []).append(finding.message)
    return out


def form_url(t: services.Target) -> str:
    return url_for("capture.form", key=t.subject.key, event_oid=t.event.oid, form_oid=t.form.oid,
                   event_repeat=t.event_repeat, repeat=t.form_repeat)


def first_url(t: services.Target, first) -> str | None:
    """Where to enter what a refusal says comes first: a form of the subject, or the eligibility page."""
    if first == "enrolment":
        return url_for("enrolment.eligibility", key=t.subject.key)
    if isinstance(first, tuple):
        try:
            return form_url(services.resolve(t.subject, *first))
        except ServiceError:
            return None
    return None


def _problems(t: services.Target, wtform, refusal: ServiceError | str | None) -> list[dict]:
    """The summary of a refused save: each problem at an item (linked to its field, where the field shows it too),
    then those of the whole form (with a link to what comes first, if they name it)."""
    if refusal is None:
        return []
    out = []
    general: list = []
    if isinstance(refusal, Refused):  # trial rules: those naming an item go to its field
        for problem in refusal.problems:
            field = wtform._fields.get(problem.item) if problem.item else None
            if field is None:
                general.append(problem)
            else:
                field.errors = [*field.errors, str(problem)]
    elif isinstance(refusal, Invalid):
        general = list(refusal.general)
    else:  # a conflict, a lock, another page's message (source-data verification): nothing at the fields
        general = [refusal]
    for item in t.form.items:
        field = wtform._fields.get(item.oid)
        if field is not None and field.errors:
            out.append({"oid": item.oid, "label": item.label, "messages": list(field.errors)})
    if wtform.reason_code.errors:
        out.append({"oid": "reason", "label": "Reason for change", "messages": list(wtform.reason_code.errors)})
    for problem in general:
        first = getattr(problem, "first", None)
        out.append({"oid": None, "label": None, "messages": [str(problem)], "first": first_url(t, first)})
    return out


def _render(t: services.Target, wtform, stored, status: int = 200, refusal: ServiceError | str | None = None,
            typed: dict | None = None):
    tz = t.subject.site.zone
    ctx = Context.now_at(tz)
    uncalculated = derived.why_not_calculated(db.session, t.subject.id, t.form, stored.values, ctx, stored.id) \
        if stored else {}
    formulas = {i.item_oid: i.formula for i in stored.items if i.formula} if stored else {}
    warnings = _warnings(t, stored, ctx, typed)
    missing = checks.missing_items(t.form, stored) if stored else []
    reduced = _reduced(t, stored.values if stored else {})
    lock = locks.lock_for(db.session, locks.Place(t.subject.site_id, t.subject.id, t.event.oid, t.event_repeat,
                                                  t.form.oid, t.form_repeat))
    for oid in reduced:  # the full value never reaches the page, not even in a hidden input's value
        wtform[oid].data = ""
    locked = stored is not None and form_state(db.session, stored) is LockState.LOCKED
    # the save's own gate: a form that cannot be entered yet opens read-only, saying why and what comes first
    blocked = rules.gate(db.session, t) if lock is None else None
    can_edit = can(current_user, "enter_data", t.subject) and lock is None and blocked is None
    following = entry_order.next_form(db.session, t) if can_edit else None
    problems = _problems(t, wtform, refusal)
    return render_template(
        "capture/form.html", t=t, wtform=wtform, stored=stored, tz=tz, hint=hint, unsaved=typed is not None,
        problems=problems, blocked=blocked, blocked_first=first_url(t, blocked.first) if blocked else None,
        following=following, following_url=form_url(following) if following else None,
        uncalculated=uncalculated, formulas=formulas, reduced=reduced, warnings=warnings, missing=missing,
        flags=stored.flags if stored else {}, missing_field=missing_field, reason_field=reason_field,
        missing_codes=MISSING_CODES,
        **_queries(stored), lock=lock, lock_state=locks.state_of(lock).value,
        can_edit=can_edit,
        sdv_states=sdv.form_states(db.session, stored), sdv_required=sdv.required_for(db.session, t.subject, t.form),
        can_verify=stored is not None and not locked and can(current_user, "verify_source", t.subject),
    ), status


def _queries(stored) -> dict:
    """The form's query badges (open count per item), its threads (for those who read them) and the controls."""
    if stored is None:
        return {"badges": {}, "threads": {}, "query_steps": None, "may_raise": False}
    readable = can(current_user, "read_queries")
    return {
        "badges": query_counts.by_item(db.session, stored.id),
        "threads": query_counts.form_threads(db.session, stored.id) if readable else {},
        "query_steps": lambda q: queries.allowed_steps(current_user, q),
        "may_raise": can(current_user, "raise_query", stored.event.subject),
    }


def page(t: services.Target, refusal: ServiceError | str | None = None, status: int = 200):
    """The form page with its stored values (and a refusal to show, answered with its status)."""
    stored = services.find_form(db.session, t)
    tz = t.subject.site.zone
    values = stored.values if stored else {}
    data = {i.oid: to_input(i, values.get(i.oid), tz) for i in t.form.items}
    for oid, (code, reason) in (stored.flags if stored else {}).items():
        data[missing_field(oid)], data[reason_field(oid)] = code, reason
    data["version"] = stored.version if stored else 0
    return _render(t, form_class(t.form)(data=data), stored, status, refusal)


@bp.get("")
def form(key: str, event_oid: str, form_oid: str):
    return page(_target(key, event_oid, form_oid))


@bp.post("")
def save(key: str, event_oid: str, form_oid: str):
    t = _target(key, event_oid, form_oid)
    wtform = form_class(t.form)()
    if not wtform.validate():  # CSRF, and field presence
        abort(400)
    raw = {item.oid: request.form.get(item.oid) for item in t.form.items}
    version = int_arg(request.form, "version", None)
    done = perform(lambda: services.save_form(
        db.session, t, raw, version=version, user_id=current_user.id, ctx=Context.now_at(t.subject.site.zone),
        reason_code=request.form.get("reason_code") or None, reason_note=request.form.get("reason_note"),
        missing=_missing_input(t),
    ), lambda saved: f"{t.form.label} saved ({'complete' if saved.status == 'complete' else 'incomplete'}).",
        form=wtform)
    if not done:
        return _render(t, wtform, services.find_form(db.session, t), done.refusal.status, done.refusal, typed=raw)
    if request.form.get("then") == "next":  # "Save and next form": the visit's next form, in the schedule's order
        following = entry_order.next_form(db.session, t)
        if following is not None:
            return redirect(form_url(following))
        flash(f"That was the last form of {t.event.label} to enter.", "info")
        return redirect(url_for("subjects.casebook", key=key))
    return redirect(form_url(t))


@bp.post("/calculate")
def calculate(key: str, event_oid: str, form_oid: str):
    """The form's calculated items for the values typed so far (the live preview; the save recomputes them)."""
    t = _target(key, event_oid, form_oid)
    if not form_class(t.form)().validate():
        abort(400)
    calculated, _ = services.preview(db.session, t, {i.oid: request.form.get(i.oid) for i in t.form.items},
                                     Context.now_at(t.subject.site.zone))
    return jsonify({oid: {"value": c.value, "formula": c.formula} for oid, c in calculated.items()})
