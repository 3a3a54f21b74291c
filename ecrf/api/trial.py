"""The trial's path through the API: eligibility (signed), enrolment, screen failure, withdrawal of consent,
visits not done, dose-level decisions and the ICF version register.

Each write parses its body (shape and types: 400), calls the same service as the web view, commits, and maps
the service's refusals to their statuses (Refused 409, SignatureFailed 403, NotFound 404). A refused write is
rolled back, except what the refusal must keep (``keep_audit``: a failed signature's audit record), as on the web.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ecrf.api import trial_inputs as parse
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.routing import route
from ecrf.api.subjects import find_subject
from ecrf.auth.models import User
from ecrf.consent import services as consent
from ecrf.consent.models import POPULATIONS, WITHDRAWAL_SCOPES, ConsentWithdrawal, IcfVersion
from ecrf.enrolment import services as enrolment
from ecrf.enrolment.models import DECISIONS, DoseDecision, EligibilityReview
from ecrf.errors import Invalid, ServiceError
from ecrf.infra.extensions import db
from ecrf.study import clock, words
from ecrf.study.definition import load as load_study
from ecrf.subjects.models import Subject
from ecrf.visits import services as visits

T = TypeVar("T")
SUBJECT = "/subjects/<subject>"
#: the longest texts the tables hold (longer ones are refused, not cut short)
REASON_MAX, NOTE_MAX, RATIONALE_MAX = 500, 1000, 4000


def _post(rule: str, *, summary: str, ok: str, body: str, errors: tuple[int, ...], description: str = ""):
    """A POST route answering 201 Created."""
    return route(rule, "POST", summary=summary, ok=ok, body=body, errors=(400, *errors), description=description,
                 status=201)


def _write(action: Callable[[], T]) -> T:
    """Run a service call and commit; refusals become API errors with the service's message and status."""
    try:
        result = action()
        db.session.commit()
    except ServiceError as exc:
        # a refusal is rolled back, except what it must keep (the audit record of a failed signature)
        db.session.commit() if getattr(exc, "keep_audit", False) else db.session.rollback()
        raise ApiError(exc.status, str(exc), **({"errors": exc.errors} if isinstance(exc, Invalid) else {})) from None
    except (IntegrityError, StaleDataError):  # a concurrent write got there first
        db.session.rollback()
        raise ApiError(409, "The data changed meanwhile; reload and try again.") from None
    return result


def _created(payload: dict):
    response = jsonify(payload)
    response.status_code = 201
    return response


def _day(value: date | None) -> str | None:
    return value and value.isoformat()


def _ts(value: datetime | None) -> str | None:
    return value and value.isoformat().replace("+00:00", "Z")


def _usernames(ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


# -- eligibility ---------------------------------------------------------------------------------------------------

def review_json(review: EligibilityReview | None) -> dict | None:
    """The investigator's latest confirmation, or None."""
    if review is None:
        return None
    return {"eligible": review.eligible, "overridden": [c for c in review.overridden.split(",") if c],
            "override_reason": review.override_reason, "reviewed_at": _ts(review.reviewed_at),
            "reviewed_by": _usernames([review.reviewed_by_id]).get(review.reviewed_by_id)}


@route(SUBJECT + "/eligibility", "GET", summary="Each inclusion criterion, evaluated now, and the last confirmation",
       ok="Eligibility", errors=(404,))
def eligibility(subject: str):
    found = find_subject(subject)
    result = enrolment.eligibility(db.session, found)
    return jsonify(criteria=[{"code": c.code, "label": words.criterion_label(c.code), "status": c.status,
                              "value": words.render(c.message),
                              "missing": list(c.missing)} for c in result.criteria],
                   all_met=result.all_met, failed=result.failed, missing=result.missing,
                   review=review_json(enrolment.latest_review(db.session, found)))


@_post(SUBJECT + "/eligibility", summary="Confirm (sign) eligibility with your password", ok="EligibilityReview",
       body="EligibilityConfirm", errors=(404, 409),
       description="Investigators only. 403 when the password is wrong (the failed signature is audited); 409 when "
                   "the subject is not in screening, an override names a criterion that is met or unknown, or an "
                   "override has no reason.")
def confirm_eligibility(subject: str):
    found = find_subject(subject)
    data = parse.body(("password", "overrides", "reason"))
    password, overrides = parse.text(data, "password"), parse.codes(data, "overrides")
    reason = parse.text(data, "reason", required=False)
    review = _write(lambda: enrolment.confirm_eligibility(db.session, found, current_user(), password, overrides,
                                                          reason))
    return _created(review_json(review))


# -- enrolment, screen failure, withdrawal, visits not done --------------------------------------------------------

def _site_today(subject: Subject) -> date:
    return clock.today_at(subject.site.zone)


@_post(SUBJECT + "/enrolment", summary="Enrol a confirmed-eligible subject: subject number and dose level",
       ok="Enrolment", body="Empty", errors=(404, 409),
       description="409 when eligibility is not confirmed (or confirmed as not eligible), the subject is not in "
                   "screening, the cohort is full or enrolment is stopped by the safety review.")
def enrol(subject: str):
    found = find_subject(subject)
    parse.body(())
    _write(lambda: enrolment.enrol(db.session, found, _site_today(found)))
    return _created({"subject_no": found.subject_no, "dose_level": found.dose_level, "cohort_seq": found.cohort_seq,
                     "enrolled_on": _day(found.enrolled_on), "status": found.status})


@_post(SUBJECT + "/screen-failure", summary="End screening without enrolment", ok="ScreenFailure",
       body="ScreenFailureWrite", errors=(404, 409),
       description="409 when the subject is not in screening or the reason is empty.")
def screen_failure(subject: str):
    found = find_subject(subject)
    reason = parse.text(parse.body(("reason",)), "reason", max_length=REASON_MAX)
    _write(lambda: enrolment.screen_fail(db.session, found, reason))
    return _created({"key": found.key, "status": found.status, "screen_fail_reason": found.screen_fail_reason})


def withdrawal_json(row: ConsentWithdrawal) -> dict:
    return {"scope": row.scope, "withdrawn_on": _day(row.withdrawn_on), "note": row.note,
            "subject_status": row.subject.status}


@_post(SUBJECT + "/withdrawals", summary="Record a withdrawal of consent", ok="Withdrawal", body="WithdrawalWrite",
       errors=(404, 409),
       description="Scope ALL ends data collection (the subject becomes withdrawn); TREATMENT stops trial treatment "
                   "while follow-up continues.")
def withdraw_consent(subject: str):
    found = find_subject(subject)
    data = parse.body(("scope", "withdrawn_on", "note"))
    scope, day = parse.choice(data, "scope", WITHDRAWAL_SCOPES), parse.day(data, "withdrawn_on")
    note = parse.text(data, "note", required=False, max_length=NOTE_MAX)
    row = _write(lambda: consent.withdraw(db.session, found, scope, day, note))
    return _created(withdrawal_json(row))


@_post(SUBJECT + "/events/<event_oid>/not-done", summary="Record that a visit did not take place, and why",
       ok="SubjectEvent", body="NotDoneWrite", errors=(404, 409),
       description="404 for an unknown visit (or a repeat of a visit that does not repeat); 409 when data was "
                   "entered at the visit or the reason is empty.")
def mark_not_done(subject: str, event_oid: str):
    found = find_subject(subject)
    event = load_study().event(event_oid)
    if event is None or event.type == "Common":  # as the service decides, but before reading the body
        raise ApiError(404, f"No visit {event_oid}.")
    data = parse.body(("reason", "repeat"))
    reason, repeat = parse.text(data, "reason", max_length=REASON_MAX), parse.repeat(data, "repeat")
    if repeat > 1 and not event.repeating:
        raise ApiError(404, f"Visit {event_oid} does not repeat.")
    row = _write(lambda: visits.mark_not_done(db.session, found, event_oid, repeat, reason))
    return _created({"event_oid": row.event_oid, "repeat": row.repeat_key, "state": "not_done",
                     "not_done_reason": row.not_done_reason})


# -- dose levels ----------------------------------------------------------------------------------------------------

def _decisions_json(rows: list[DoseDecision]) -> list[dict]:
    names = _usernames(r.recorded_by_id for r in rows)
    return [{"decided_on": _day(r.decided_on), "decision": r.decision, "from_level": r.from_level,
             "to_level": r.to_level, "rationale": r.rationale, "recorded_by": names.get(r.recorded_by_id),
             "recorded_at": _ts(r.created_at)} for r in rows]


@route("/dose-levels", "GET", summary="The dose level of the next enrolment, and the safety review's decisions",
       ok="DoseLevels", description="`current_level` is null once escalation is stopped. Decisions oldest first.")
def dose_levels():
    rows = db.session.scalars(select(DoseDecision).order_by(DoseDecision.decided_on, DoseDecision.id)).all()
    return jsonify(current_level=enrolment.current_dose_level(db.session), decisions=_decisions_json(list(rows)))


@_post("/dose-levels/decisions", summary="Record a safety review decision", ok="DoseDecision",
       body="DoseDecisionWrite", errors=(409,),
       description="Investigators and data managers. 409 when escalation is stopped, the decision leads to no "
                   "dose level (below 1 or above 3) or the rationale is empty.")
def record_dose_decision():
    data = parse.body(("decision", "decided_on", "rationale"))
    decision, day = parse.choice(data, "decision", DECISIONS), parse.day(data, "decided_on")
    rationale = parse.text(data, "rationale", max_length=RATIONALE_MAX)
    row = _write(lambda: enrolment.record_decision(db.session, current_user(), decision, day, rationale))
    return _created(_decisions_json([row])[0])


# -- ICF versions ---------------------------------------------------------------------------------------------------

def icf_json(row: IcfVersion) -> dict:
    return {"version": row.version, "population": row.population, "approved_on": _day(row.approved_on),
            "registered_at": _ts(row.created_at)}


@route("/icf-versions", "GET", summary="The approved ICF versions", ok="IcfVersionList")
def icf_versions():
    rows = db.session.scalars(select(IcfVersion).order_by(IcfVersion.population, IcfVersion.approved_on,
                                                          IcfVersion.id)).all()
    return jsonify(versions=[icf_json(r) for r in rows])


@_post("/icf-versions", summary="Register a newly approved ICF version", ok="IcfVersion", body="IcfVersionWrite",
       errors=(409,),
       description="Investigators and data managers. Subjects who signed an older version are flagged for "
                   "re-consent. 409 when the version is empty, longer than 40 characters or already registered.")
def register_icf_version():
    data = parse.body(("version", "population", "approved_on"))
    version, population = parse.text(data, "version"), parse.choice(data, "population", POPULATIONS)
    approved_on = parse.day(data, "approved_on")
    row = _write(lambda: consent.register_version(db.session, version, population, approved_on))
    return _created(icf_json(row))
