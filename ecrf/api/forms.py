"""One form of a subject: read its values, save them through the capture service, or preview its calculated items."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.routing import reply, route
from ecrf.api.subjects import find_subject
from ecrf.capture import checks, locks, services
from ecrf.capture.models import FormData
from ecrf.errors import Conflict
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.study.masking import masked
from ecrf.study.validation import Context

FORM = "/subjects/<subject>/events/<event_oid>/forms/<form_oid>"
REPEATS = ("event_repeat", "repeat")


def target(subject: str, event_oid: str, form_oid: str) -> services.Target:
    """The form named by the path and the repeat arguments; 403 for another site's subject, 404 unknown."""
    found = find_subject(subject)
    return services.resolve(found, event_oid, form_oid, inputs.repeat_arg("event_repeat"),
                            inputs.repeat_arg("repeat"))


def _known_items(t: services.Target, items: dict) -> None:
    """400 for item OIDs the form does not have: a typo must not pass for an item left empty."""
    known = {item.oid for item in t.form.items}
    if unknown := sorted(oid for oid in items if oid not in known):
        raise ApiError(400, f"Unknown item OIDs for form {t.form.oid}: {', '.join(unknown)}.", unknown_items=unknown)


def form_model(form: FormData | None, t: services.Target, role: str | None) -> out.FormData:
    """A stored form (or none yet) as the API shows it to ``role`` (identifying items reduced: study.masking),
    with its "not done"/"unknown" answers, the required items still missing and the soft edit-check warnings.

    ``lock_state`` is open, frozen or locked (ecrf.capture.locks); ``locked`` is true when it is not open (no
    change is possible: a freeze stops data changes as a lock does)."""
    state = locks.state_of(locks.lock_for(db.session, locks.Place(
        t.subject.site_id, t.subject.id, t.event.oid, t.event_repeat, t.form.oid, t.form_repeat)))
    closed = state is not locks.LockState.OPEN
    if form is None:
        return out.FormData(status="not_started", version=0, locked=closed, lock_state=state.value, items={},
                            missing_items=[i.oid for i in checks.missing_items(t.form, None)])
    items = {i.oid: i for i in t.form.items}
    values = {oid: masked(items[oid], v, role) if oid in items else v for oid, v in form.values.items()}
    _, soft = checks.stored_findings(db.session, t, form, Context.now_at(t.subject.site.zone))
    return out.FormData(
        status=form.status, version=form.version, locked=closed, lock_state=state.value, items=values,
        missing={oid: out.MissingAnswer(code=code, reason=reason) for oid, (code, reason) in form.flags.items()},
        missing_items=[i.oid for i in checks.missing_items(t.form, form)],
        warnings=[out.CheckWarning(check_id=f.check_id, item_oid=f.item_oid, message=f.message) for f in soft])


@route(FORM, "GET", summary="A form's status, version and stored values", ok=out.FormData, query=REPEATS,
       errors=(400, 404))
def form(subject: str, event_oid: str, form_oid: str):
    t = target(subject, event_oid, form_oid)
    return reply(form_model(services.find_form(db.session, t), t, current_user().role))


@route(FORM, "PUT", summary="Save a form (all its items), as the web form does", ok=out.FormData, query=REPEATS,
       body=bodies.FormWrite, errors=(400, 404, 409, 422, 423),
       description="Validated and stored by the same service as the web form: same messages, same audit trail. "
                   "409: the form changed since `version` (or a trial rule refused the entry); 422: nothing stored, "
                   "with every message at once (values that cannot be read, hard edit checks, refused not-done "
                   "answers). Soft edit checks do not stop the save: the reply lists them in `warnings`.")
def save_form(subject: str, event_oid: str, form_oid: str):
    t = target(subject, event_oid, form_oid)
    write = inputs.body(bodies.FormWrite)
    _known_items(t, write.items)
    _known_items(t, write.missing)
    code, note = write.reason_parts()
    try:
        saved = unit_of_work(db.session, lambda: services.save_form(
            db.session, t, write.items, version=write.version, user_id=current_user().id,
            ctx=Context.now_at(t.subject.site.zone), reason_code=code, reason_note=note,
            missing=write.missing_parts()))
    except (Conflict, StaleDataError, IntegrityError) as exc:  # lost a race: tell the client the version now
        if isinstance(exc, Conflict) and exc.current_version is not None:
            raise
        current = services.find_form(db.session, t)
        raise Conflict(current.version if current else 0) from None
    return reply(form_model(saved, t, current_user().role))


@route(FORM + "/calculate", "POST", summary="Preview the form's calculated items for the values typed so far",
       ok=out.CalculatedItems, query=REPEATS, body=bodies.FormValues, errors=(400, 404),
       description="Nothing is stored (a save recomputes them): the web form's live preview. Each calculated item "
                   "has its value and formula, or why it has none: the items still `missing` (on this form or the "
                   "subject's others) or the formula's `problem` with the inputs. Site staff only, as saving.")
def calculate(subject: str, event_oid: str, form_oid: str):
    t = target(subject, event_oid, form_oid)
    typed = inputs.body(bodies.FormValues).items
    _known_items(t, typed)
    calculated, invalid = services.preview(db.session, t, typed, Context.now_at(t.subject.site.zone))
    return reply(out.CalculatedItems(items={
        oid: out.CalculatedValue(value=c.value, formula=c.formula, missing=list(c.missing), problem=c.problem)
        for oid, c in calculated.items()}, invalid=invalid))
