"""Signing (21 CFR 11.50, 11.70, 11.100, 11.200), breaking a signature when its data changes, and the read side.

Re-authentication (11.200(a)(1)): the first signing of a continuous session gives the username and the password,
later ones the password only; a user with a second factor gives its code each time. The face knows the session
and says which it is (``need_username``); the JSON API has no session and always asks for the password. Every
wrong username, password or code counts toward the lockout (``ecrf.auth.lockout``), is audited as
``signature_failed`` and raises :class:`SignatureFailed` (403, ``keep_audit``): nothing is signed.

Signing is allowed on frozen or locked data: a signature changes no data, it attests it (as in most EDCs, where
the investigator's sign-off usually comes just before or after the lock). Signing over missing or incomplete
required data needs ``despite_missing``; otherwise :class:`MissingData` (409) lists what is missing.

Services flush; the caller commits.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from ecrf.audit.trail import record
from ecrf.auth import lockout, totp
from ecrf.auth.permissions import can
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.errors import Forbidden, NotFound, Refused, SignatureFailed
from ecrf.signatures.coverage import ELIGIBILITY_EVENT, Scope, content_hash, covered_forms
from ecrf.signatures.models import Signature
from ecrf.study.clock import utcnow
from ecrf.study.definition import load as load_study
from ecrf.subjects.models import Subject

#: the meaning of an eligibility confirmation (ecrf.enrolment); the others are configured (SIGNATURE_MEANINGS)
ELIGIBILITY_MEANING = "I confirm the subject's eligibility"
class MissingData(Refused):
    """Required data of the scope is missing or incomplete, and signing anyway was not confirmed."""

    def __init__(self, missing: list[Missing]):
        super().__init__("Required data is missing or incomplete: " + "; ".join(m.text for m in missing)
                         + ". Complete it, or confirm that you sign despite missing data.")
        self.missing = missing


# -- re-authentication -------------------------------------------------------------------------------------------

def check_credentials(session: Session, user, *, password: str, username: str | None = None,
                      code: str | None = None, need_username: bool = False, entity: str = "signature",
                      entity_id=None, keys: dict | None = None, refused: str = "nothing was signed") -> None:
    """Re-authenticate ``user`` for a signature, or record the failure, count it and raise SignatureFailed.

    ``username`` must be the user's own when given (required with ``need_username``); then the password; then the
    second factor's code when the user has one. ``entity``/``entity_id``/``keys`` name the failure's audit record.
    """
    keys = keys or {}

    def failed(problem: str, message: str, locked: bool = False):
        record(session, "signature_failed", entity, entity_id=entity_id, **keys,
               new={"problem": problem, **({"locked": True} if locked else {})})
        return SignatureFailed(message)

    locked = ("Your account is locked after repeated failed attempts: " + refused +
              ". Try again later or ask an administrator.")
    typed = (username or "").strip()
    if need_username or typed:
        if typed != user.username:
            over = lockout.count_failure(user)
            if over:
                lockout.lock(session, user)
            session.flush()
            if not typed:
                raise failed("username", f"Enter your username and password to sign: {refused}.", over)
            raise failed("username", f"That is not your username: {refused}.", over)
    outcome = lockout.check(session, user, password or "")
    if outcome is lockout.Outcome.LOCKED:
        raise failed("locked", locked, True)
    if outcome is not lockout.Outcome.OK:
        raise failed("password", f"The password is wrong: {refused}.", lockout.is_locked(user))
    if totp.enabled(session, user):
        if not (code or "").strip():
            raise failed("code", f"Enter the code of your authenticator app: {refused}.")
        ok, message = totp.verify(session, user, code, purpose="signature")
        if not ok:
            raise failed("code", locked if message == totp.LOCKED else f"{message} ({refused}.)",
                         message == totp.LOCKED)


# -- what is missing ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Missing:
    """A required form not started, or a form saved incomplete (with its unanswered required items)."""

    key: str
    event_oid: str
    event_repeat: int
    form_oid: str
    form_repeat: int
    label: str
    status: str  # not_started | incomplete
    items: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        what = "not started" if self.status == "not_started" else "incomplete"
        items = f" ({', '.join(self.items)})" if self.items else ""
        return f"{self.label} at {self.event_oid}[{self.event_repeat}] {what}{items}"


def _expected(session: Session, subject: Subject, scope: Scope) -> list[tuple[str, int]]:
    """The event occurrences whose required forms the scope expects."""
    if scope.kind in ("form", "visit"):
        return [(scope.event_oid, scope.event_repeat)]
    if scope.kind == "eligibility":
        return [("SE.SUBJECT", 1), (ELIGIBILITY_EVENT, 1)]
    rows = session.execute(select(StudyEventData.event_oid, StudyEventData.repeat_key, StudyEventData.status)
                           .where(StudyEventData.subject_id == subject.id)).all()
    found = {(oid, rep) for oid, rep, status in rows if status != "not_done"}
    return sorted(found | {("SE.SUBJECT", 1)})


def missing_data(session: Session, subject: Subject, scope: Scope) -> list[Missing]:
    """The required forms of the scope not started, and its forms saved incomplete, in schedule order."""
    study = load_study()
    forms = covered_forms(session, subject.id, scope)
    stored: dict[tuple, list[FormData]] = {}
    for f in forms:
        stored.setdefault((f.event.event_oid, f.event.repeat_key, f.form_oid), []).append(f)
    out: list[Missing] = []
    for event_oid, repeat in _expected(session, subject, scope):
        event = study.event(event_oid)
        if event is None:
            continue
        for ref in event.forms:
            if not scope.covers(event_oid, repeat, ref.form_oid, scope.form_repeat or 1):
                continue
            definition = study.form(ref.form_oid)
            entries = stored.get((event_oid, repeat, ref.form_oid), [])
            if not entries and ref.required:
                out.append(Missing(Scope.form(event_oid, ref.form_oid, repeat).key(subject.key), event_oid, repeat,
                                   ref.form_oid, 1, definition.label, "not_started"))
            for f in entries:
                if f.status != "complete":
                    values = f.values
                    lacking = tuple(i.oid for i in definition.items if i.required and values.get(i.oid) is None)
                    out.append(Missing(f.locator.key, event_oid, repeat, f.form_oid, f.repeat_key, definition.label,
                                       "incomplete", lacking))
    return out


# -- signing -----------------------------------------------------------------------------------------------------

def resolve_scope(subject: Subject, kind: str, event_oid: str | None = None, event_repeat: int = 1,
                  form_oid: str | None = None, form_repeat: int = 1) -> Scope:
    """A scope named by a face, checked against the study definition; NotFound for what does not exist."""
    study = load_study()
    if kind == "casebook":
        return Scope.casebook()
    event = study.event(event_oid or "")
    if kind not in ("form", "visit") or event is None or event_repeat < 1 or (event_repeat > 1 and not event.repeating):
        raise NotFound("There is no such visit or form to sign.")
    if kind == "visit":
        return Scope.visit(event.oid, event_repeat)
    form = study.form(form_oid or "")
    if form is None or not study.event_has_form(event.oid, form.oid) or form_repeat < 1 or (
            form_repeat > 1 and not form.repeating):
        raise NotFound("There is no such form to sign.")
    return Scope.form(event.oid, form.oid, event_repeat, form_repeat)


def sign(session: Session, user, subject: Subject, scope: Scope, meaning: str, *, meanings: Sequence[str],
         password: str, username: str | None = None, code: str | None = None, need_username: bool = False,
         despite_missing: bool = False) -> Signature:
    """Sign the data ``scope`` covers with one of ``meanings``; the new signature, flushed.

    :raises Forbidden: not an investigator of the subject's site
    :raises Refused: an unknown meaning, or nothing stored to sign
    :raises MissingData: required data missing or incomplete without ``despite_missing``
    :raises SignatureFailed: wrong username, password or code (audited, counted toward the lockout, kept)
    """
    if not can(user, "sign", subject):
        raise Forbidden("Only an investigator of the subject's site signs.")
    meaning = (meaning or "").strip()
    if meaning not in meanings:
        raise Refused("Choose the meaning of your signature from the list.")
    if not covered_forms(session, subject.id, scope):
        raise Refused(f"There is no data to sign in this {scope.kind}.")
    missing = missing_data(session, subject, scope)
    if missing and not despite_missing:
        raise MissingData(missing)
    check_credentials(session, user, password=password, username=username, code=code, need_username=need_username,
                      entity="signature", keys={**subject.audit_keys(), "entity_key": scope.key(subject.key)})
    return record_signature(session, user, subject, scope, meaning, missing=len(missing))


def record_signature(session: Session, user, subject: Subject, scope: Scope, meaning: str, *,
                     missing: int = 0) -> Signature:
    """Write the signature and its named audit event. Only after :func:`check_credentials` passed in the same
    transaction (``sign`` does both; ``ecrf.enrolment`` confirms eligibility with them)."""
    row = Signature(subject=subject, scope=scope.kind, event_oid=scope.event_oid, event_repeat=scope.event_repeat,
                    form_oid=scope.form_oid, form_repeat=scope.form_repeat, signer_id=user.id,
                    printed_name=user.full_name, signed_at=utcnow(), meaning=meaning,
                    data_hash=content_hash(session, subject.id, scope))
    session.add(row)
    session.flush()
    record(session, "signed", "signature", entity_id=row.id, **row.audit_keys(),
           new={"meaning": meaning, "printed_name": row.printed_name, "data_hash": row.data_hash,
                "signed_despite_missing": missing})
    return row


def verify(session: Session, signature: Signature) -> bool:
    """Whether the data the signature covers still hashes to what was signed."""
    return content_hash(session, signature.subject_id, signature.scope_of) == signature.data_hash


# -- breaking ----------------------------------------------------------------------------------------------------

def breaks_signatures(session: Session, form: FormData, changed: dict, user_id: int | None) -> None:
    """Capture observer: every valid signature covering ``form`` (itself, its visit, the casebook, eligibility)
    is marked broken by this change, and asks for re-signing."""
    signatures = session.scalars(select(Signature).where(Signature.subject_id == form.event.subject_id,
                                                         Signature.broken_at.is_(None))).all()
    hit = [s for s in signatures if s.scope_of.covers_form(form)]
    if not hit:
        return
    cause = json.dumps({"form": form.locator.key, "items": sorted(changed)}, separators=(",", ":"))
    now = utcnow()
    for s in hit:
        s.broken_at, s.broken_by_id, s.broken_cause = now, user_id, cause
    session.flush()


# -- read side ---------------------------------------------------------------------------------------------------

def of_subject(session: Session, subject: Subject) -> list[Signature]:
    """The subject's signatures, newest first."""
    return list(session.scalars(select(Signature).where(Signature.subject_id == subject.id)
                                .order_by(Signature.signed_at.desc(), Signature.id.desc())))


def cause(signature: Signature) -> dict | None:
    """{"form": locator key, "items": [...]} of the change that broke it, or None."""
    return json.loads(signature.broken_cause) if signature.broken_cause else None


@dataclass(frozen=True)
class Outstanding:
    """A casebook or a visit holding data without a valid signature over it."""

    subject_key: str
    site_code: str
    scope: str  # casebook | visit
    event_oid: str | None = None
    event_repeat: int | None = None


def outstanding(session: Session, site_ids: set[int]) -> list[Outstanding]:
    """Casebooks and visits with data and no valid signature, at the sites: three statements, whatever the size."""
    if not site_ids:
        return []
    with_data = session.execute(
        select(StudyEventData.subject_id, StudyEventData.event_oid, StudyEventData.repeat_key)
        .join(StudyEventData.forms).join(FormData.items).join(StudyEventData.subject)
        .where(Subject.site_id.in_(site_ids), ItemData.value.is_not(None)).distinct()).all()
    valid = session.execute(
        select(Signature.subject_id, Signature.scope, Signature.event_oid, Signature.event_repeat)
        .join(Signature.subject).where(Subject.site_id.in_(site_ids), Signature.broken_at.is_(None))).all()
    subjects = {s.id: s for s in session.scalars(select(Subject).where(Subject.site_id.in_(site_ids)))}
    signed_books = {sid for sid, scope, _, _ in valid if scope == "casebook"}
    signed_visits = {(sid, e, r) for sid, scope, e, r in valid if scope == "visit"}
    study = load_study()
    out: list[Outstanding] = []
    for sid in sorted({sid for sid, _, _ in with_data} - signed_books, key=lambda i: subjects[i].key):
        out.append(Outstanding(subjects[sid].key, subjects[sid].site.code, "casebook"))
    order = {e.oid: n for n, e in enumerate(study.events)}
    for sid, event_oid, repeat in sorted(with_data, key=lambda r: (subjects[r[0]].key, order.get(r[1], 0), r[2])):
        event = study.event(event_oid)
        if event is None or event.type == "Common" or sid in signed_books or (sid, event_oid, repeat) in signed_visits:
            continue
        out.append(Outstanding(subjects[sid].key, subjects[sid].site.code, "visit", event_oid, repeat))
    return out


def broken(session: Session, site_ids: set[int]) -> list[Signature]:
    """Broken signatures at the sites not yet replaced by a valid one of the same scope (re-signing asked):
    one statement."""
    if not site_ids:
        return []
    rows = session.scalars(
        select(Signature).join(Signature.subject).options(contains_eager(Signature.subject))
        .where(Subject.site_id.in_(site_ids)).order_by(Signature.signed_at, Signature.id)).all()
    resigned = {(s.subject_id, s.scope_of) for s in rows if s.valid}
    return [s for s in rows if not s.valid and (s.subject_id, s.scope_of) not in resigned]
