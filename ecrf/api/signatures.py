"""Electronic signatures through the API: a subject's signatures, signing a form, a visit or the casebook, and the
outstanding and broken signatures of the caller's sites.

The API has no session, so there is no "signing session": every signature asks for the password (and the code
of a second factor); a username, when given, must be the caller's. Same service and rules as the web.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.routing import reply, route
from ecrf.api.subjects import find_subject
from ecrf.auth.models import User
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.signatures import services
from ecrf.signatures.models import Signature
from ecrf.study import codec
from ecrf.subjects.access import visible_site_ids

SUBJECT = "/subjects/<subject>"


def _usernames(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def _models(rows: list[Signature]) -> list[out.Signature]:
    names = _usernames([s.signer_id for s in rows] + [s.broken_by_id for s in rows])
    result = []
    for s in rows:
        cause = services.cause(s)
        result.append(out.Signature(
            id=s.id, subject=s.subject.key, scope=s.scope, key=s.key, event_oid=s.event_oid,
            event_repeat=s.event_repeat, form_oid=s.form_oid, form_repeat=s.form_repeat, meaning=s.meaning,
            printed_name=s.printed_name, signed_by=names.get(s.signer_id), signed_at=s.signed_at,
            signed_at_site=codec.local_text(s.signed_at, s.subject.site.zone), data_hash=s.data_hash,
            state=s.state, broken_at=s.broken_at, broken_by=names.get(s.broken_by_id),
            broken_by_change=out.SignatureBreak(**cause) if cause else None))
    return result


@route(SUBJECT + "/signatures", "GET", summary="The subject's electronic signatures, valid and broken",
       ok=out.SignatureList, errors=(404,))
def signatures(subject: str):
    found = find_subject(subject)
    return reply(out.SignatureList(signatures=_models(services.of_subject(db.session, found))))


@route(SUBJECT + "/signatures", "POST", summary="Sign a form, a visit or the casebook with your password",
       ok=out.Signature, body=bodies.SignatureWrite, errors=(404, 409), status=201,
       description="Investigators of the subject's site only. The password is required every time (the API has no "
                   "signing session), and the code when you have a second factor; a username, when given, must be "
                   "yours. 403 when any of them is wrong (audited, counted toward the lockout, nothing signed). 409 "
                   "when the meaning is not one of the configured ones, there is no data to sign, or required data "
                   "is missing or incomplete without despite_missing (the message lists it). Signing frozen or "
                   "locked data is allowed: a signature changes no data.")
def sign(subject: str):
    found = find_subject(subject)
    data = inputs.body(bodies.SignatureWrite)
    meanings = tuple(current_app.config["SIGNATURE_MEANINGS"])

    def act():
        scope = services.resolve_scope(found, data.scope, data.event_oid, data.event_repeat, data.form_oid,
                                       data.form_repeat)
        return services.sign(db.session, current_user(), found, scope, data.meaning, meanings=meanings,
                             password=data.password, username=data.username, code=data.code,
                             despite_missing=data.despite_missing)

    row = unit_of_work(db.session, act)
    return reply(_models([row])[0], 201)


@route("/signatures", "GET", summary="Casebooks and visits with data but no valid signature, and broken signatures "
                                     "awaiting re-signing, at your sites", ok=out.SignatureWorklist)
def signature_worklist():
    site_ids = visible_site_ids(current_user())
    return reply(out.SignatureWorklist(
        outstanding=[out.OutstandingSignature(subject=o.subject_key, site=o.site_code, scope=o.scope,
                                              event_oid=o.event_oid, event_repeat=o.event_repeat)
                     for o in services.outstanding(db.session, site_ids)],
        broken=_models(services.broken(db.session, site_ids))))
