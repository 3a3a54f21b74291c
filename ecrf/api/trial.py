"""The trial's path through the API: eligibility (signed), enrolment, screen failure, withdrawal of consent,
visits not done, dose-level decisions and the ICF version register.

Each write parses its body by its model (400 for no JSON object, 422 per field), runs the same service as the
web view in one unit of work, and answers from its reply model. The unit of work rolls a refusal back (except
what it must keep: a failed signature's audit record) and re-raises it; ecrf.api.errors maps it to its status.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.routing import reply, route
from ecrf.api.subjects import find_subject
from ecrf.auth.models import User
from ecrf.consent import services as consent
from ecrf.consent.models import ConsentWithdrawal, IcfVersion
from ecrf.enrolment import services as enrolment
from ecrf.enrolment.models import DoseDecision, EligibilityReview
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.study import clock, words
from ecrf.study.definition import load as load_study
from ecrf.subjects.models import Subject
from ecrf.visits import services as visits

SUBJECT = "/subjects/<subject>"


def _post(rule: str, *, summary: str, ok: type, body: type, errors: tuple[int, ...], description: str = ""):
    """A POST route answering 201 Created."""
    return route(rule, "POST", summary=summary, ok=ok, body=body, errors=errors, description=description,
                 status=201)


def _usernames(ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


# -- eligibility ---------------------------------------------------------------------------------------------------

def review_model(review: EligibilityReview | None) -> out.EligibilityReview | None:
    """The investigator's latest confirmation, or None."""
    if review is None:
        return None
    return out.EligibilityReview(
        eligible=review.eligible, overridden=[c for c in review.overridden.split(",") if c],
        override_reason=review.override_reason, reviewed_at=review.reviewed_at,
        reviewed_by=_usernames([review.reviewed_by_id]).get(review.reviewed_by_id))


@route(SUBJECT + "/eligibility", "GET", summary="Each inclusion criterion, evaluated now, and the last confirmation",
       ok=out.Eligibility, errors=(404,))
def eligibility(subject: str):
    found = find_subject(subject)
    result = enrolment.eligibility(db.session, found)
    return reply(out.Eligibility(
        criteria=[out.Criterion(code=c.code, label=words.criterion_label(c.code), status=c.status,
                                value=words.render(c.message), missing=list(c.missing))
                  for c in result.criteria],
        all_met=result.all_met, failed=result.failed, missing=result.missing,
        review=review_model(enrolment.latest_review(db.session, found))))


@_post(SUBJECT + "/eligibility", summary="Confirm (sign) eligibility with your password", ok=out.EligibilityReview,
       body=bodies.EligibilityConfirm, errors=(404, 409),
       description="Investigators only. 403 when the password is wrong (the failed signature is audited); 409 when "
                   "the subject is not in screening, an override names a criterion that is met or unknown, or an "
                   "override has no reason.")
def confirm_eligibility(subject: str):
    found = find_subject(subject)
    data = inputs.body(bodies.EligibilityConfirm)
    review = unit_of_work(db.session, lambda: enrolment.confirm_eligibility(
        db.session, found, current_user(), data.password, data.overrides, data.reason, code=data.code,
        despite_missing=data.despite_missing))
    return reply(review_model(review), 201)


# -- enrolment, screen failure, withdrawal, visits not done --------------------------------------------------------

def _site_today(subject: Subject) -> date:
    return clock.today_at(subject.site.zone)


@_post(SUBJECT + "/enrolment", summary="Enrol a confirmed-eligible subject: subject number and dose level",
       ok=out.Enrolment, body=bodies.Empty, errors=(404, 409),
       description="409 when eligibility is not confirmed (or confirmed as not eligible), the subject is not in "
                   "screening, the cohort is full or enrolment is stopped by the safety review.")
def enrol(subject: str):
    found = find_subject(subject)
    inputs.body(bodies.Empty)
    unit_of_work(db.session, lambda: enrolment.enrol(db.session, found, _site_today(found)))
    return reply(out.Enrolment(subject_no=found.subject_no, dose_level=found.dose_level,
                               cohort_seq=found.cohort_seq, enrolled_on=found.enrolled_on, status=found.status), 201)


@_post(SUBJECT + "/screen-failure", summary="End screening without enrolment", ok=out.ScreenFailure,
       body=bodies.ScreenFailureWrite, errors=(404, 409),
       description="409 when the subject is not in screening or the reason is empty.")
def screen_failure(subject: str):
    found = find_subject(subject)
    reason = inputs.body(bodies.ScreenFailureWrite).reason
    unit_of_work(db.session, lambda: enrolment.screen_fail(db.session, found, reason))
    return reply(out.ScreenFailure(key=found.key, status=found.status, screen_fail_reason=found.screen_fail_reason),
                 201)


def withdrawal_model(row: ConsentWithdrawal) -> out.Withdrawal:
    return out.Withdrawal(scope=row.scope, withdrawn_on=row.withdrawn_on, note=row.note,
                          subject_status=row.subject.status)


@_post(SUBJECT + "/withdrawals", summary="Record a withdrawal of consent", ok=out.Withdrawal,
       body=bodies.WithdrawalWrite, errors=(404, 409),
       description="Scope ALL ends data collection (the subject becomes withdrawn); TREATMENT stops trial treatment "
                   "while follow-up continues.")
def withdraw_consent(subject: str):
    found = find_subject(subject)
    data = inputs.body(bodies.WithdrawalWrite)
    row = unit_of_work(db.session, lambda: consent.withdraw(
        db.session, found, data.scope, data.withdrawn_on, data.note))
    return reply(withdrawal_model(row), 201)


@_post(SUBJECT + "/events/<event_oid>/not-done", summary="Record that a visit did not take place, and why",
       ok=out.NotDone, body=bodies.NotDoneWrite, errors=(404, 409, 423),
       description="404 for an unknown visit (or a repeat of a visit that does not repeat); 409 when data was "
                   "entered at the visit or the reason is empty; 423 when the visit is frozen or locked.")
def mark_not_done(subject: str, event_oid: str):
    found = find_subject(subject)
    event = load_study().event(event_oid)
    if event is None or event.type == "Common":  # as the service decides, but before reading the body
        raise ApiError(404, f"No visit {event_oid}.")
    data = inputs.body(bodies.NotDoneWrite)
    if data.repeat > 1 and not event.repeating:
        raise ApiError(404, f"Visit {event_oid} does not repeat.")
    row = unit_of_work(db.session, lambda: visits.mark_not_done(db.session, found, event_oid, data.repeat, data.reason))
    return reply(out.NotDone(event_oid=row.event_oid, repeat=row.repeat_key, state="not_done",
                             not_done_reason=row.not_done_reason), 201)


# -- dose levels ----------------------------------------------------------------------------------------------------

def _decision_models(rows: list[DoseDecision]) -> list[out.DoseDecision]:
    names = _usernames(r.recorded_by_id for r in rows)
    return [out.DoseDecision(decided_on=r.decided_on, decision=r.decision, from_level=r.from_level,
                             to_level=r.to_level, rationale=r.rationale, recorded_by=names.get(r.recorded_by_id),
                             recorded_at=r.created_at) for r in rows]


@route("/dose-levels", "GET", summary="The dose level of the next enrolment, and the safety review's decisions",
       ok=out.DoseLevels, description="`current_level` is null once escalation is stopped. Decisions oldest first.")
def dose_levels():
    rows = db.session.scalars(select(DoseDecision).order_by(DoseDecision.decided_on, DoseDecision.id)).all()
    return reply(out.DoseLevels(current_level=enrolment.current_dose_level(db.session),
                                decisions=_decision_models(list(rows))))


@_post("/dose-levels/decisions", summary="Record a safety review decision", ok=out.DoseDecision,
       body=bodies.DoseDecisionWrite, errors=(409,),
       description="Investigators and data managers. 409 when escalation is stopped, the decision leads to no "
                   "dose level (below 1 or above 3) or the rationale is empty.")
def record_dose_decision():
    data = inputs.body(bodies.DoseDecisionWrite)
    row = unit_of_work(db.session, lambda: enrolment.record_decision(
        db.session, current_user(), data.decision, data.decided_on, data.rationale))
    return reply(_decision_models([row])[0], 201)


# -- ICF versions ---------------------------------------------------------------------------------------------------

def icf_model(row: IcfVersion) -> out.IcfVersion:
    return out.IcfVersion(version=row.version, population=row.population, approved_on=row.approved_on,
                          registered_at=row.created_at)


@route("/icf-versions", "GET", summary="The approved ICF versions", ok=out.IcfVersionList)
def icf_versions():
    rows = db.session.scalars(select(IcfVersion).order_by(IcfVersion.population, IcfVersion.approved_on,
                                                          IcfVersion.id)).all()
    return reply(out.IcfVersionList(versions=[icf_model(r) for r in rows]))


@_post("/icf-versions", summary="Register a newly approved ICF version", ok=out.IcfVersion,
       body=bodies.IcfVersionWrite, errors=(409,),
       description="Investigators and data managers. Subjects who signed an older version are flagged for "
                   "re-consent. 409 when the version is empty, longer than 40 characters or already registered.")
def register_icf_version():
    data = inputs.body(bodies.IcfVersionWrite)
    row = unit_of_work(db.session, lambda: consent.register_version(
        db.session, data.version, data.population, data.approved_on))
    return reply(icf_model(row), 201)
