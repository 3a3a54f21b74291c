"""Freeze and lock through the API: list them, freeze or lock a scope, undo one (ecrf.capture.locks, as the web).

Data managers only for the writes (403 for the other roles, and for another site's subject or site); every study
role reads the list (study-wide locks and those of their sites).
"""
from __future__ import annotations

from sqlalchemy import select

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.routing import reply, route
from ecrf.api.subjects import find_subject
from ecrf.auth.models import Site, User
from ecrf.capture import locks as lock_service
from ecrf.capture.lock_models import DataLock
from ecrf.errors import Invalid
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.subjects.access import visible_site_ids


def lock_models(rows: list[DataLock]) -> list[out.DataLock]:
    ids = {r.created_by_id for r in rows} | {r.undone_by_id for r in rows if r.undone_by_id}
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
    return [out.DataLock(
        id=r.id, scope=r.scope, level=r.level, target=r.target_key, site_code=r.site.code if r.site else None,
        subject=r.subject.key if r.subject else None, event_oid=r.event_oid, event_repeat=r.event_repeat,
        form_oid=r.form_oid, form_repeat=r.form_repeat, up_to_event_oid=r.up_to_event_oid, reason=r.reason,
        created_by=names.get(r.created_by_id), created_at=r.created_at, active=r.active,
        undone_by=names.get(r.undone_by_id), undone_at=r.undone_at, undo_reason=r.undo_reason) for r in rows]


@route("/locks", "GET", summary="Freezes and locks, current and past (newest first)", ok=out.DataLockList,
       description="Study-wide ones and those of your sites. `active` is false once undone.")
def locks():
    rows = lock_service.visible(db.session, visible_site_ids(current_user()))
    return reply(out.DataLockList(locks=lock_models(rows)))


@route("/locks", "POST", summary="Freeze or lock a form, a visit, a casebook, a site or the study",
       ok=out.DataLock, body=bodies.LockWrite, errors=(403, 404, 409), status=201,
       description="Data managers only. A freeze stops data changes (queries and SDV go on); a lock stops "
                   "everything. `up_to_event_oid` (subject, site and study scopes) covers the scheduled visits up "
                   "to and including that one, not the subject-level forms. 422: a reason missing, an unknown "
                   "visit or form; 409: the same freeze or lock is already in force.")
def create_lock():
    data = inputs.body(bodies.LockWrite)
    user = current_user()
    site = subject = None
    if data.scope == "site" and data.site:
        site = db.session.scalar(select(Site).where(Site.code == data.site))
        if site is None:
            raise Invalid({"site": f"There is no site {data.site}."})
    if data.scope in ("subject", "event", "form") and data.subject:
        subject = find_subject(data.subject)
    row = unit_of_work(db.session, lambda: lock_service.close(
        db.session, user, scope=data.scope, level=data.level, reason=data.reason, site=site, subject=subject,
        event_oid=data.event_oid, event_repeat=data.event_repeat, form_oid=data.form_oid, form_repeat=data.repeat,
        up_to_event_oid=data.up_to_event_oid))
    return reply(lock_models([row])[0], 201)


@route("/locks/<int:lock_id>/undo", "POST", summary="Undo a freeze or lock, with a reason", ok=out.DataLock,
       body=bodies.LockUndo, errors=(403, 404, 409),
       description="Data managers only. The record stays, with who undid it, when and why. 409: already undone.")
def undo_lock(lock_id: int):
    data = inputs.body(bodies.LockUndo)
    user = current_user()
    row = unit_of_work(db.session, lambda: lock_service.undo(db.session, user, lock_id, data.reason))
    return reply(lock_models([row])[0])
