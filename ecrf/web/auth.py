"""Login, logout, changing one's password and setting it from a reset link."""
from __future__ import annotations

import re
import time

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.trail import record
from ecrf.auth import services, sessions, throttle
from ecrf.forms.webforms import ChangePasswordForm, LoginForm, ResetPasswordForm
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.web.actions import perform

bp = Blueprint("auth", __name__)


#: a path on this site: one slash, then printable ASCII without a backslash. Browsers drop tabs and newlines
#: inside a URL and read a backslash as a slash, so "/<TAB>/evil.example" and "/<BACKSLASH>evil.example" would be
#: "//evil.example", another host; anything with a scheme ("javascript:", "https:") does not start with "/".
_SAME_SITE_PATH = re.compile(r"/(?![/\\])[\x21-\x5b\x5d-\x7e]*")


def is_same_site_path(target: str | None) -> bool:
    """Whether ``target`` (the ``next`` argument) is a path on this site, safe to redirect to."""
    return bool(target) and _SAME_SITE_PATH.fullmatch(target) is not None


def _safe_next(target: str | None) -> str:
    return target if is_same_site_path(target) else url_for("web.index")


def _start_session(user) -> None:
    session.clear()  # a fresh session on login (no fixation)
    login_user(user)
    session.permanent = True
    session["last_seen"] = time.time()
    session["epoch"] = user.session_epoch


def _too_many_failures(wait: int):
    flash(f"Too many failed logins from your network. Try again in {wait} seconds.", "danger")
    response = make_response(render_template("auth/login.html", form=LoginForm()), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        if wait := throttle.login_wait(db.session, request.remote_addr):
            return _too_many_failures(wait)

        def attempt():
            # a failure is recorded as the client's: the per-client limit counts these records
            set_actor(db.session, Actor(None, throttle.client_name(request.remote_addr), None))
            return services.authenticate(db.session, form.username.data.strip(), form.password.data)

        # a failure or a lockout is an outcome, not a refusal: its audit record is committed like a success's
        user, message = unit_of_work(db.session, attempt)
        if user:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(message, "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    def end():
        record(db.session, "logout", "session", entity_id=current_user.id, entity_key=current_user.username)
        sessions.end_sessions(current_user)  # a copy of the cookie is worthless from now on

    unit_of_work(db.session, end)
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    # a wrong current password is an audited failure: the service's refusal keeps its record (keep_audit)
    if form.validate_on_submit() and perform(
            lambda: services.change_password(db.session, current_user, form.current_password.data,
                                             form.new_password.data),
            "Your password was changed.", field=form.new_password):
        session["epoch"] = current_user.session_epoch  # the change ended every other session, not this one
        return redirect(url_for("web.index"))
    return render_template("auth/password.html", form=form, title="Change your password")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    row = services.token_user(db.session, token)
    if row is None:
        return render_template("errors/error.html", status=404,
                               message="This link is invalid, used or expired. "
                                       "Ask an administrator for a new one."), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        set_actor(db.session, Actor.of(row.user))
        if perform(lambda: services.reset_password(db.session, token, form.new_password.data),
                   field=form.new_password):
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash("Your password is set. Please log in.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form, title=f"Set the password of {row.user.username}")
