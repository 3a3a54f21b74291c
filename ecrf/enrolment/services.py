"""Eligibility confirmation, screen failure, enrolment with numbering and the cohort cap, dose decisions.

Services flush; the caller commits. Counters are advanced with UPDATE ...
RETURNING under the row lock, so concurrent enrolments get distinct numbers and
never pass the cap (a refused enrolment rolls its counter increment back).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture import services as capture
from ecrf.capture.facts import event_values, form_entries
from ecrf.consent import rules as consent_rules
from ecrf.enrolment import guidance
from ecrf.enrolment.eligibility import Eligibility, evaluate, snapshot_json
from ecrf.enrolment.models import DECISIONS, DoseDecision, EligibilityReview
from ecrf.errors import Refused
from ecrf.signatures import services as signatures
from ecrf.signatures.coverage import Scope
from ecrf.study import protocol
from ecrf.study.definition import load as load_study
from ecrf.study.validation import Context
from ecrf.subjects import lifecycle
from ecrf.subjects.models import Subject
from ecrf.subjects.services import next_value


@dataclass(frozen=True)
class Assessment:
    """The engine's verdict and the Eligibility form's own answer, read together (two queries)."""

    result: Eligibility
    form_answer: str | None  # I.ELIG.ELIGIBLE as stored: "true", "false" or None

    @property
    def missing(self) -> list[guidance.MissingForm]:
        return guidance.missing_by_form(self.result, self.form_answer, load_study())

    @property
    def conflict(self) -> guidance.Conflict | None:
        return guidance.form_conflict(self.result, self.form_answer)


def assessment(session: Session, subject: Subject) -> Assessment:
    """Each inclusion criterion evaluated from the data entered so far, with the form's answer."""
    values = event_values(session, subject.id, ["SE.SCREENING", "SE.SUBJECT"])
    merged = {**values.get("SE.SUBJECT", {}), **values.get("SE.SCREENING", {})}
    # ages and dates count by the site's calendar (a 07:00 Shanghai sample is the previous day in UTC)
    result = evaluate(merged, form_entries(session, subject.id, "F.IC"), tz=subject.site.zone)
    return Assessment(result, merged.get(guidance.FORM_ANSWER))


def eligibility(session: Session, subject: Subject) -> Eligibility:
    """Each inclusion criterion evaluated from the data entered so far."""
    return assessment(session, subject).result


def _consents(session: Session, subject: Subject):
    return consent_rules.from_entries(form_entries(session, subject.id, "F.IC"), subject.site.zone)


def latest_review(session: Session, subject: Subject) -> EligibilityReview | None:
    return session.scalar(select(EligibilityReview).where(EligibilityReview.subject_id == subject.id)
                          .order_by(EligibilityReview.id.desc()))


def confirm_eligibility(session: Session, subject: Subject, user, password: str, overrides: list[str],
                        reason: str | None, *, code: str | None = None, username: str | None = None,
                        need_username: bool = False, despite_missing: bool = False,
                        at: datetime | None = None) -> EligibilityReview:
    """The investigator confirms eligibility with an electronic signature (ecrf.signatures: scope "eligibility",
    meaning "I confirm the subject's eligibility"); overriding a failed or missing criterion needs a reason.

    The password (and the second factor's code, when the user has one) is checked first, through the signatures'
    one re-authentication: a wrong one is audited, counts toward the lockout and confirms nothing. The criteria
    shown and their overrides are the warning about missing data, so the signature does not ask again.

    Confirming *eligible* while data is missing (a criterion overridden for want of data, or the Eligibility
    form's own answer unanswered) needs ``despite_missing``, the investigator's tick against the listed
    items; the list is stored with the review (and so in its audit record). A verdict that contradicts the
    Eligibility form's answer is refused: the two records never disagree silently.

    ``at``: when the investigator confirmed (default: now), for a confirmation entered after the day it was made
    (the demo's story days); the signature and the audit records carry the time they are written, never earlier.
    """
    if user.role != "investigator":
        raise Refused("Only an investigator confirms eligibility.")
    signatures.check_credentials(session, user, password=password, username=username, code=code,
                                 need_username=need_username, entity="eligibility_review", entity_id=subject.id,
                                 keys=subject.audit_keys(), refused="eligibility was not confirmed")
    if subject.status != "screening":
        raise Refused(f"The subject is {subject.status}; eligibility is confirmed during screening.")
    overrides = sorted(set(overrides))
    seen = assessment(session, subject)
    result = seen.result
    open_codes = set(result.failed) | set(result.missing)
    unknown = set(overrides) - open_codes
    if unknown:
        raise Refused(f"Only failed or missing criteria can be overridden, not {', '.join(sorted(unknown))}.")
    if "IN11" in overrides:
        raise Refused("Informed consent (IN11) cannot be overridden: record the missing consent or assent.")
    reason = (reason or "").strip() or None
    if overrides and not reason:
        raise Refused("Overriding a criterion requires a reason.")
    eligible = open_codes <= set(overrides)
    conflict = guidance.signing_conflict(eligible, seen.form_answer)
    if conflict:
        raise Refused(conflict)
    missing = guidance.missing_oids(result, seen.form_answer) if eligible else []
    if missing and not despite_missing:
        raise Refused(f"Data are missing: {guidance.missing_labels(seen.missing)}. Enter them, or acknowledge "
                      "them (\"I confirm eligibility although the following data are missing\") to sign over them.")
    signature = signatures.record_signature(session, user, subject, Scope.eligibility(),
                                            signatures.ELIGIBILITY_MEANING)
    if at is not None and at > signature.signed_at:
        raise Refused("An eligibility confirmation cannot be dated in the future.")
    review = EligibilityReview(
        subject=subject, reviewed_by_id=user.id, reviewed_at=at or signature.signed_at, eligible=eligible,
        overridden=",".join(sorted(overrides)), override_reason=reason,
        missing_acknowledged=json.dumps(missing) if missing else None,
        snapshot=snapshot_json(result), signature=signature,
    )
    session.add(review)
    session.flush()
    return review


def acknowledged(review: EligibilityReview) -> list[str]:
    """The item OIDs the investigator confirmed over as missing (none for a review made with complete data, or an
    unreadable list)."""
    try:
        oids = json.loads(review.missing_acknowledged) if review.missing_acknowledged else []
    except ValueError:
        return []
    return [o for o in oids if isinstance(o, str)] if isinstance(oids, list) else []


def screen_fail(session: Session, subject: Subject, reason: str) -> None:
    """End screening without enrolment (the screening log keeps the reason)."""
    reason = (reason or "").strip()
    if subject.status != "screening":
        raise Refused(f"The subject is {subject.status}, not in screening.")
    if not reason:
        raise Refused("Give the reason for the screen failure.")
    if len(reason) > 500:
        raise Refused("The reason is too long (at most 500 characters).")
    lifecycle.move(subject, "screen_failed")
    subject.screen_fail_reason = reason
    session.flush()


def current_dose_level(session: Session) -> int | None:
    """The level new subjects get: 1 until a safety review decides otherwise; None once stopped."""
    last = session.scalar(select(DoseDecision).order_by(DoseDecision.decided_on.desc(), DoseDecision.id.desc()))
    return 1 if last is None else last.to_level


def enrol(session: Session, subject: Subject, today: date) -> Subject:
    """Assign the next subject number and the current dose level to a confirmed-eligible subject."""
    if subject.status != "screening":
        raise Refused(f"Only a subject in screening can be enrolled (this one is {subject.status}).")
    if not consent_rules.allows_data_entry(_consents(session, subject), today):
        raise Refused("A subject without recorded informed consent cannot be enrolled.")
    review = latest_review(session, subject)
    if review is None or not review.eligible:
        raise Refused("Eligibility has not been confirmed by an investigator (or was confirmed as not eligible); "
                      "confirm it, with a reason for any overridden criterion, before enrolment.")
    if assessment(session, subject).form_answer == "false":  # the form was changed after the signature
        raise Refused("The Eligibility form now says the participant is not eligible, against the signed "
                      "confirmation: correct the form or confirm eligibility again before enrolment.")
    level = current_dose_level(session)
    if level is None:
        raise Refused("Enrolment is stopped by the safety review's decision.")
    cap = protocol.active().enrolment_cap
    count = next_value(session, "enrolment")  # holds the row lock until commit or rollback
    if count > cap:
        raise Refused(f"The cohort is full: {cap} of {cap} participants are enrolled. This enrolment was refused.")
    site = subject.site.code
    subject.subject_no = f"{site}-{next_value(session, f'subject_no:{site}'):03d}"
    lifecycle.move(subject, "enrolled")
    subject.enrolled_on = today
    subject.dose_level, subject.cohort_seq = level, next_value(session, f"dose_level:{level}")
    session.flush()
    target = capture.resolve(subject, "SE.SUBJECT", "F.ENROL")
    capture.save_form(session, target, {"I.ENROL.DAT": today.isoformat(), "I.ENROL.DOSELEVEL": str(level),
                                        "I.ENROL.DLDAT": today.isoformat(), "I.ENROL.COHSEQ": str(subject.cohort_seq)},
                      version=0, user_id=None, ctx=Context.now_at(subject.site.zone),
                      origin="enrolment")
    return subject


def record_decision(session: Session, user, decision: str, decided_on: date, rationale: str) -> DoseDecision:
    """Record the safety review's decision; it sets the dose level of the next enrolments."""
    if decision not in DECISIONS:
        raise Refused(f"Unknown decision {decision!r}.")
    rationale = (rationale or "").strip()
    if not rationale:
        raise Refused("Record the rationale of the decision.")
    if len(rationale) > 4000:
        raise Refused("The rationale is too long (at most 4000 characters).")
    current = current_dose_level(session)
    if current is None:
        raise Refused("Dose escalation was stopped; no further decision can be recorded.")
    to = {"escalate": current + 1, "stay": current, "de_escalate": current - 1, "stop": None}[decision]
    levels = len(protocol.active().dose_levels_cells_per_kg)
    if to is not None and not 1 <= to <= levels:
        raise Refused(f"There is no dose level {to} (levels 1 to {levels}).")
    row = DoseDecision(decided_on=decided_on, decision=decision, from_level=current, to_level=to,
                       rationale=rationale, recorded_by_id=user.id)
    session.add(row)
    session.flush()
    return row
