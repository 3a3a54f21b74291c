"""Login (password, then the second factor when the user has or needs one), logout, the second factor on the
account page, changing one's password and setting it from a reset link."""
from __future__ import annotations

import re
import time

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm.exc import StaleDataError

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.trail import record
from ecrf.auth import services, sessions, throttle, totp
from ecrf.auth.models import User
from ecrf.forms.second_factor import CodeForm, SecondFactorForm
from ecrf.forms.webforms import ChangePasswordForm, LoginForm, ResetPasswordForm
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.web.actions import perform

bp = Blueprint("auth", __name__)

#: the session key of a login whose password was right and whose second factor is still to come
PENDING = "second_factor_pending"
#: how long the code may take after the password
PENDING_SECONDS = 300


@bp.record_once
def _check_settings(state) -> None:
    totp.required_roles(state.app.config.get("TOTP_REQUIRED_ROLES"))  # a misspelt role stops the start-up


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
        if user and (totp.enabled(db.session, user) or totp.required(user)):
            session.clear()
            session[PENDING] = {"user": user.id, "since": time.time(), "next": request.args.get("next")}
            return redirect(url_for("auth.login_code"))
        if user:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(message, "danger")
    return render_template("auth/login.html", form=form)


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    return user if user is not None and user.is_active_account else None


def _checked(action):
    """A code check in one unit of work; two requests racing with one code: the loser is refused."""
    try:
        return unit_of_work(db.session, action)
    except StaleDataError:
        return None


def _outcome(action) -> tuple[bool, str | None]:
    return _checked(action) or (False, totp.WRONG_CODE)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of a login: the code, or (for a role that requires one) enrolling the second factor."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash("Please log in again.", "warning")
        return redirect(url_for("auth.login"))
    set_actor(db.session, Actor.of(user))
    form = CodeForm()
    if not totp.enabled(db.session, user):  # required for the role, not yet set up
        return _enrol_at_login(user, form)
    if form.validate_on_submit():
        ok, message = _outcome(lambda: totp.verify(db.session, user, form.code.data))
        if ok:
            return _finish_login(user)
        if message == totp.LOCKED:
            session.pop(PENDING, None)
            flash(message, "danger")
            return redirect(url_for("auth.login"))
        form.code.errors = [*form.code.errors, message]
    return render_template("auth/code.html", form=form, user=user)


def _enrol_at_login(user: User, form: CodeForm):
    if form.validate_on_submit():
        codes = _checked(lambda: totp.confirm_enrolment(db.session, user, form.code.data))
        if codes:
            target = _finish_login(user)
            return render_template("auth/recovery_codes.html", codes=codes, next=target.location)
        form.code.errors = [*form.code.errors, totp.WRONG_CODE]
    found = unit_of_work(db.session, lambda: totp.start_enrolment(db.session, user)) \
        if totp.credential(db.session, user) is None else totp.credential(db.session, user)
    form.code.description = "The 6-digit code your authenticator app shows after scanning."
    return render_template("auth/enrol.html", form=form, enrolment=totp.enrolment(found), at_login=True,
                           action=url_for("auth.login_code"))


def _finish_login(user: User):
    target = session.get(PENDING, {}).get("next")
    _start_session(user)
    return redirect(_safe_next(target))


@bp.route("/account/second-factor", methods=["GET", "POST"])
def second_factor():
    """Set up, renew the recovery codes of, or turn off one's own second factor."""
    user = current_user._get_current_object()
    form = SecondFactorForm()
    if form.validate_on_submit():
        step, code = form.step.data, form.code.data or ""
        if step == "start":
            found = unit_of_work(db.session, lambda: totp.start_enrolment(db.session, user))
            if found.confirmed_at is None:
                return _enrol_page(form, found)
        elif step == "confirm":
            codes = _checked(lambda: totp.confirm_enrolment(db.session, user, code))
            if codes:
                flash("The second factor is on: you will be asked for a code at each login.", "success")
                return render_template("auth/recovery_codes.html", codes=codes, next=url_for("auth.second_factor"))
            found = totp.credential(db.session, user)
            if found is not None and found.confirmed_at is None:
                form.code.errors = [totp.WRONG_CODE]
                return _enrol_page(form, found)
        elif step == "recovery":
            ok, message = _outcome(lambda: totp.verify(db.session, user, code, "recovery_codes"))
            if ok:
                codes = unit_of_work(db.session, lambda: totp.new_recovery_codes(db.session, user))
                return render_template("auth/recovery_codes.html", codes=codes, next=url_for("auth.second_factor"))
            flash(message, "danger")
        elif step == "disable":
            ok, message = _outcome(lambda: totp.disable(db.session, user, code))
            flash("The second factor is off." if ok else message, "success" if ok else "danger")
        return redirect(url_for("auth.second_factor"))
    found = totp.credential(db.session, user)
    on = found is not None and found.confirmed_at is not None
    return render_template("auth/second_factor.html", form=SecondFactorForm(formdata=None), on=on, since=found and
                           found.confirmed_at, left=totp.recovery_codes_left(db.session, user) if on else 0,
                           required=totp.required(user))


def _enrol_page(form: SecondFactorForm, found):
    form.step.data = "confirm"
    return render_template("auth/enrol.html", form=form, enrolment=totp.enrolment(found), at_login=False,
                           action=url_for("auth.second_factor"))


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
