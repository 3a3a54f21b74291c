"""Per-request security: the session's validity (epoch, idle timeout), the permission check, audit actor,
secure headers, and which forwarded headers to believe."""
from __future__ import annotations

import time

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from ecrf.audit.context import SYSTEM, Actor, set_actor
from ecrf.audit.trail import record
from ecrf.auth import sessions
from ecrf.auth.models import User
from ecrf.auth.permissions import PUBLIC, allowed
from ecrf.infra.extensions import db, login_manager
from ecrf.infra.work import unit_of_work

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The session's user, unless the session was ended on the server (logout, password change or reset)
    after it was issued: a copy of the cookie taken before then authenticates nobody."""
    user = db.session.get(User, int(user_id)) if user_id.isascii() and user_id.isdigit() else None
    if user is None or not sessions.is_current(user, session.get("epoch")):
        return None
    return user


def _end_session(reason: str, message: str) -> None:
    unit_of_work(db.session, lambda: record(db.session, reason, "session", entity_id=current_user.id,
                                            entity_key=current_user.username))
    logout_user()
    session.clear()
    flash(message, "warning")


def _check_session():
    """Log out idle sessions and deactivated users (sessions ended on the server never load a user)."""
    if not current_user.is_authenticated:
        return None
    now = time.time()
    last_seen = session.get("last_seen")
    if not current_user.is_active_account:
        _end_session("logout_inactive", "Your account was deactivated.")
    elif not isinstance(last_seen, (int, float)) or now - last_seen > 60 * current_app.config["SESSION_IDLE_MINUTES"]:
        _end_session("session_timeout", "Your session expired after inactivity; please log in again.")
    else:
        session["last_seen"] = now
        return None
    if request.blueprint == "api":
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def _refuse_nul_bytes():
    """NUL is never valid text; PostgreSQL rejects it, so refuse it up front with a 400, not a 500."""
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in v for _, values in request.args.lists() for v in values):
        abort(400)
    if request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if any("\x00" in v for _, values in request.form.lists() for v in values):
            abort(400)


def _authorise():
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC or request.blueprint == "api":
        return None  # unknown URLs 404; the API authenticates tokens itself
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not allowed(endpoint, current_user.role):
        abort(403)
    return None


def register(app: Flask) -> None:
    if proxies := app.config["TRUSTED_PROXIES"]:
        # believe X-Forwarded-For/-Proto only from the configured number of proxies: anyone can send them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    @app.before_request
    def _before():
        session.permanent = True
        _refuse_nul_bytes()
        if (response := _check_session()) is not None:
            return response
        set_actor(db.session, Actor.of(current_user) if current_user.is_authenticated else SYSTEM)
        return _authorise()

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response

    from datetime import timedelta

    # The cookie outlives the idle timeout on purpose: a stale session then reaches _check_session, which ends
    # it and records the timeout; a cookie that expired with the timeout would vanish unrecorded.
    app.permanent_session_lifetime = timedelta(hours=app.config["SESSION_COOKIE_HOURS"])
