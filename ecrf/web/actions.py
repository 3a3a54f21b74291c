"""The shape every web action shares: check the CSRF token, run the service, commit or roll back, tell the user."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import abort, flash, request

from ecrf.errors import Refused, ServiceError
from ecrf.forms.webforms import ActionForm
from ecrf.infra.extensions import db


def checked() -> None:
    """Refuse a POST without a valid CSRF token."""
    if not ActionForm().validate_on_submit():
        abort(400)


def form_date(field: str) -> date:
    """A YYYY-MM-DD form field, or a refusal the user can act on."""
    try:
        return date.fromisoformat(request.form.get(field, ""))
    except ValueError:
        raise Refused("Give the date as YYYY-MM-DD.") from None


def perform(action: Callable[[], object], success: str | Callable[[object], str]):
    """Run ``action``; commit and flash ``success``, or flash the refusal and roll back (keeping what a refusal
    must keep, e.g. the record of a failed signature). Returns the action's result, or None when refused."""
    try:
        result = action()
    except ServiceError as exc:
        db.session.commit() if exc.keep_audit else db.session.rollback()
        flash(str(exc), "danger")
        return None
    db.session.commit()
    flash(success(result) if callable(success) else success, "success")
    return result
