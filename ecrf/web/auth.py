"""Login, logout, changing one's password and setting it from a reset link."""
from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.trail import record
from ecrf.auth import services
from ecrf.errors import AccountError
from ecrf.forms.webforms import ChangePasswordForm, LoginForm, ResetPasswordForm
from ecrf.infra.extensions import db

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("web.index")


def _start_session(user) -> None:
    session.clear()  # a fresh session on login (no fixation)
    login_user(user)
    session.permanent = True
    session["last_seen"] = time.time()
    session["stamp"] = user.password_changed_at.isoformat() if user.password_changed_at else ""


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user, message = services.authenticate(db.session, form.username.data.strip(), form.password.data)
        if user:
            set_actor(db.session, Actor.of(user))
        db.session.commit()  # failures and lockouts are kept, too
        if user:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(message, "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    record(db.session, "logout", "session", entity_id=current_user.id, entity_key=current_user.username)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current_password.data, form.new_password.data)
        except AccountError as exc:
            db.session.commit()  # a wrong current password is an audited failure
            form.new_password.errors.append(str(exc))
        else:
            db.session.commit()
            session["stamp"] = current_user.password_changed_at.isoformat()
            flash("Your password was changed.", "success")
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
        try:
            services.reset_password(db.session, token, form.new_password.data)
        except AccountError as exc:
            db.session.rollback()
            form.new_password.errors.append(str(exc))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash("Your password is set. Please log in.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form, title=f"Set the password of {row.user.username}")
