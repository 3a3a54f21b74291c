"""GET and PUT one form of a subject: read its values, or save them through the capture service."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ecrf.api import inputs
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.routing import route
from ecrf.api.subjects import find_subject
from ecrf.capture import services
from ecrf.capture.models import FormData
from ecrf.errors import Conflict, Invalid, ServiceError
from ecrf.infra.extensions import db
from ecrf.study.validation import Context

FORM = "/subjects/<subject>/events/<event_oid>/forms/<form_oid>"
REPEATS = ("event_repeat", "repeat")


def _target(subject: str, event_oid: str, form_oid: str) -> services.Target:
    found = find_subject(subject)
    try:
        return services.resolve(found, event_oid, form_oid, inputs.repeat_arg("event_repeat"),
                                inputs.repeat_arg("repeat"))
    except ServiceError as exc:
        raise ApiError(exc.status, str(exc)) from None


def form_json(form: FormData | None) -> dict:
    """A stored form (or none yet) as the API shows it."""
    if form is None:
        return {"status": "not_started", "version": 0, "locked": False, "items": {}}
    return {"status": form.status, "version": form.version, "locked": form.locked_at is not None,
            "items": form.values}


def _conflict(t: services.Target, message: str | None = None) -> ApiError:
    db.session.rollback()
    current = services.find_form(db.session, t)
    version = current.version if current else 0
    return ApiError(409, message or Conflict(version).args[0], current_version=version)


@route(FORM, "GET", summary="A form's status, version and stored values", ok="FormData", query=REPEATS,
       errors=(400, 404))
def form(subject: str, event_oid: str, form_oid: str):
    t = _target(subject, event_oid, form_oid)
    return jsonify(form_json(services.find_form(db.session, t)))


@route(FORM, "PUT", summary="Save a form (all its items), as the web form does", ok="FormData", query=REPEATS,
       body="FormWrite", errors=(400, 404, 409, 422, 423),
       description="Validated and stored by the same service as the web form: same messages, same audit trail. "
                   "409: the form changed since `version` (or a trial rule refused the entry); 422: nothing stored.")
def save_form(subject: str, event_oid: str, form_oid: str):
    t = _target(subject, event_oid, form_oid)
    write = inputs.form_write(inputs.json_body(), t.form)
    try:
        saved = services.save_form(
            db.session, t, write.items, version=write.version, user_id=current_user().id,
            ctx=Context.now_at(t.subject.site.zone), reason_code=write.reason_code, reason_note=write.reason_note)
        db.session.commit()
    except Invalid as exc:
        db.session.rollback()
        raise ApiError(422, inputs.MESSAGES_422, errors=exc.errors) from None
    except Conflict as exc:
        raise _conflict(t, str(exc)) from None
    except (StaleDataError, IntegrityError):  # a concurrent save got there first
        raise _conflict(t) from None
    except ServiceError as exc:
        db.session.rollback()
        raise ApiError(exc.status, str(exc)) from None
    return jsonify(form_json(saved))
