"""Data entry: show a CRF with its stored values, and save it through the capture service."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from ecrf.auth.permissions import can
from ecrf.capture import derived, locks, services
from ecrf.errors import Invalid
from ecrf.forms.builder import form_class, hint
from ecrf.infra.args import int_arg
from ecrf.infra.extensions import db
from ecrf.study import masking
from ecrf.study.codec import to_input
from ecrf.study.validation import Context
from ecrf.web.access import load_target
from ecrf.web.actions import perform

bp = Blueprint("capture", __name__, url_prefix="/subjects/<key>/events/<event_oid>/forms/<form_oid>")


def _target(key: str, event_oid: str, form_oid: str) -> services.Target:
    return load_target(key, event_oid, form_oid, current_user)


def _reduced(t: services.Target, values: dict) -> dict[str, str]:
    """The items this reader sees reduced or withheld (ecrf.study.masking), with what is shown instead."""
    role = current_user.role
    return {i.oid: masking.masked(i, values.get(i.oid), role) or "" for i in t.form.items if masking.reduces(i, role)}


def _render(t: services.Target, wtform, stored, status: int = 200, refusal: str | None = None):
    tz = t.subject.site.zone
    uncalculated = derived.why_not_calculated(db.session, t.subject.id, t.form, stored.values, Context.now_at(tz)) \
        if stored else {}
    reduced = _reduced(t, stored.values if stored else {})
    lock = locks.lock_for(db.session, locks.Place(t.subject.site_id, t.subject.id, t.event.oid, t.event_repeat,
                                                  t.form.oid, t.form_repeat))
    for oid in reduced:  # the full value never reaches the page, not even in a hidden input's value
        wtform[oid].data = ""
    return render_template(
        "capture/form.html", t=t, wtform=wtform, stored=stored, tz=tz, hint=hint, refusal=refusal,
        uncalculated=uncalculated, reduced=reduced, lock=lock, lock_state=locks.state_of(lock).value,
        can_edit=can(current_user, "enter_data", t.subject) and lock is None,
    ), status


@bp.get("")
def form(key: str, event_oid: str, form_oid: str):
    t = _target(key, event_oid, form_oid)
    stored = services.find_form(db.session, t)
    tz = t.subject.site.zone
    values = stored.values if stored else {}
    data = {i.oid: to_input(i, values.get(i.oid), tz) for i in t.form.items}
    data["version"] = stored.version if stored else 0
    return _render(t, form_class(t.form)(data=data), stored)


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
    ), lambda saved: f"{t.form.label} saved ({'complete' if saved.status == 'complete' else 'incomplete'}).",
        form=wtform)
    if not done:
        refusal = done.refusal
        message = ("Nothing was saved: correct the fields marked below." if isinstance(refusal, Invalid)
                   else str(refusal))
        return _render(t, wtform, services.find_form(db.session, t), refusal.status, message)
    return redirect(url_for("capture.form", key=key, event_oid=event_oid, form_oid=form_oid,
                            event_repeat=t.event_repeat, repeat=t.form_repeat))


@bp.post("/calculate")
def calculate(key: str, event_oid: str, form_oid: str):
    """The form's calculated items for the values typed so far (the live preview; the save recomputes them)."""
    t = _target(key, event_oid, form_oid)
    if not form_class(t.form)().validate():
        abort(400)
    calculated, _ = services.preview(db.session, t, {i.oid: request.form.get(i.oid) for i in t.form.items},
                                     Context.now_at(t.subject.site.zone))
    return jsonify({oid: {"value": c.value, "formula": c.formula} for oid, c in calculated.items()})
