"""Error pages (HTML) and error bodies (JSON under /api): never a bare 500."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ecrf.errors import ServiceError
from ecrf.infra.extensions import db
from ecrf.study.literals import BadLiteral

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in.",
    403: "You do not have access to this page or subject.",
    404: "There is no such page, subject, event or form.",
    405: "That action is not allowed here.",
    409: "The data changed meanwhile.",
    413: "The submitted data is too large.",
    429: "Too many attempts; wait a minute.",
    500: "Something went wrong on our side. Nothing was saved; the error was logged.",
}


def _respond(status: int, message: str):
    if request.path.startswith("/api/"):
        return jsonify(error=message, status=status), status
    return render_template("errors/error.html", status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _respond(400, "The form expired or did not come from this site (CSRF check). Reload and try again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code in (301, 302, 303, 307, 308):
            return exc
        return _respond(exc.code or 500, exc.description if exc.code not in MESSAGES else MESSAGES[exc.code])

    @app.errorhandler(BadLiteral)
    def _bad_argument(exc: BadLiteral):  # a number or date in the URL or the form, spelt as none can be
        return _respond(400, str(exc))

    @app.errorhandler(ServiceError)
    def _refusal(exc: ServiceError):  # one raised outside perform(), e.g. while reading the arguments
        db.session.rollback()
        return _respond(exc.status, str(exc) or MESSAGES.get(exc.status, MESSAGES[400]))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        db.session.rollback()
        app.logger.exception("unhandled error", exc_info=exc)
        return _respond(500, MESSAGES[500])
