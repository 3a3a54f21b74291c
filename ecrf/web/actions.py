"""The shape every web write shares: check the CSRF token, run the service in one unit of work, tell the user.

:func:`perform` is the HTML face's one mapping of a service's refusal: the transaction is
:func:`ecrf.infra.work.unit_of_work`'s (one commit, or a rollback that keeps what a refusal must keep), and the
refusal's message goes where the user is looking: on the form fields it names, on one field, or in a flash.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, flash, request

from ecrf.errors import Invalid, Refused, ServiceError
from ecrf.forms.webforms import ActionForm
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.study import literals


def checked() -> None:
    """Refuse a POST without a valid CSRF token."""
    if not ActionForm().validate_on_submit():
        abort(400)


def form_date(field: str) -> date:
    """A YYYY-MM-DD form field (a plausible year), or a refusal the user can act on."""
    try:
        return literals.day(request.form.get(field, ""), field)
    except literals.BadLiteral as exc:
        raise Refused(str(exc)) from None


@dataclass(frozen=True)
class Outcome:
    """What :func:`perform` did: the action's result, or the refusal (already shown to the user)."""

    result: Any = None
    refusal: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.refusal is None


def perform(action: Callable[[], object], success: str | Callable[[Any], str] | None = None, *,
            form=None, field=None) -> Outcome:
    """Run ``action`` in one unit of work; flash ``success`` (a text, or made from the result) when it is stored.

    A refusal is shown where it belongs: an Invalid's messages on the fields of ``form`` it names; any other on
    ``field`` when given; with a ``form`` but no ``field``, not at all, because the caller shows the form page
    with it (its status, its place on the page); otherwise as a flash.
    """
    try:
        result = unit_of_work(db.session, action)
    except ServiceError as exc:
        _show(exc, form, field)
        return Outcome(refusal=exc)
    if success is not None:
        flash(success(result) if callable(success) else success, "success")
    return Outcome(result)


def _show(exc: ServiceError, form, field) -> None:
    if isinstance(exc, Invalid) and form is not None:
        for key, message in exc.errors.items():
            target = form.field_for(key) if hasattr(form, "field_for") else form._fields.get(key)
            if target is None:  # never silently lose a message the form has no place for
                flash(message, "danger")
            else:
                target.errors = [*target.errors, message]
    elif field is not None:
        field.errors = [*field.errors, str(exc)]
    elif form is None:
        flash(str(exc), "danger")
