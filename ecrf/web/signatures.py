"""Electronic signatures: the sign page (a form, a visit or the casebook), a subject's signatures, and the
outstanding and broken signatures of the user's sites.

The "signing session" (21 CFR 11.200(a)(1)(i)): after the first successful signing of a login session the
session remembers it (``SIGNED_AS``), and later signings ask for the password only. It ends with the session:
logout, the idle timeout and a new login all clear the session.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from ecrf.auth import totp
from ecrf.errors import NotFound
from ecrf.forms.signatures import SignForm
from ecrf.infra.args import repeat_arg
from ecrf.infra.extensions import db
from ecrf.signatures import services
from ecrf.signatures.coverage import Scope
from ecrf.subjects.access import visible_site_ids
from ecrf.web.access import load_subject
from ecrf.web.actions import perform

bp = Blueprint("signatures", __name__)

#: the session key saying this login session has signed once (the user id, so it never carries over)
SIGNED_AS = "signed_as"


def signing_session_open() -> bool:
    return session.get(SIGNED_AS) == current_user.id


def opened_signing_session() -> None:
    """Called after a successful signing (also an eligibility confirmation)."""
    session[SIGNED_AS] = current_user.id


def _scope(subject) -> Scope:
    args = request.args
    scope = args.get("scope", "casebook")
    if scope == "casebook":
        return Scope.casebook()
    if scope not in ("form", "visit"):
        raise NotFound("There is no such scope to sign.")
    return services.resolve_scope(subject, scope, args.get("event_oid"), repeat_arg(args, "event_repeat"),
                                  args.get("form_oid"), repeat_arg(args, "repeat"))


def _scope_args(scope: Scope) -> dict:
    args = {"scope": scope.kind}
    if scope.event_oid:
        args.update(event_oid=scope.event_oid, event_repeat=scope.event_repeat)
    if scope.form_oid:
        args.update(form_oid=scope.form_oid, repeat=scope.form_repeat)
    return args


def meanings() -> tuple[str, ...]:
    return tuple(current_app.config["SIGNATURE_MEANINGS"])


@bp.route("/subjects/<key>/sign", methods=["GET", "POST"])
def sign(key: str):
    subject = load_subject(key, current_user)
    scope = _scope(subject)
    form = SignForm(meanings())
    need_username = not signing_session_open()
    if form.validate_on_submit():
        done = perform(lambda: services.sign(
            db.session, current_user, subject, scope, form.meaning.data, meanings=meanings(),
            password=form.password.data, username=form.username.data, code=form.code.data,
            need_username=need_username, despite_missing=form.despite_missing.data))
        if done:
            opened_signing_session()
            return redirect(url_for("signatures.subject", key=key))
        status = done.refusal.status
    else:
        status = 400 if request.method == "POST" else 200
    missing = services.missing_data(db.session, subject, scope)
    return render_template("signatures/sign.html", subject=subject, scope=scope, form=form, missing=missing,
                           need_username=need_username, need_code=totp.enabled(db.session, current_user),
                           label=scope.label, scope_args=_scope_args(scope)), status


@bp.get("/subjects/<key>/signatures")
def subject(key: str):
    subject = load_subject(key, current_user)
    rows = services.of_subject(db.session, subject)
    return render_template("signatures/subject.html", subject=subject, rows=rows,
                           causes={s.id: services.cause(s) for s in rows},
                           resign={s.id: _scope_args(s.scope_of) for s in rows if s.scope != "eligibility"})


@bp.get("/signatures")
def worklist():
    site_ids = visible_site_ids(current_user)
    return render_template("signatures/worklist.html", outstanding=services.outstanding(db.session, site_ids),
                           broken=services.broken(db.session, site_ids))
