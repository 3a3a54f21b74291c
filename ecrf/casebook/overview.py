"""What a subject's page shows about their path through the trial, computed here, not in the template."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture.facts import event_values, form_entries, latest_values
from ecrf.casebook import next_step
from ecrf.consent import rules as consent_rules
from ecrf.consent.models import ConsentWithdrawal, IcfVersion
from ecrf.enrolment.models import EligibilityReview
from ecrf.study import clock, codec, masking, protocol
from ecrf.study.definition import load as load_study
from ecrf.subjects import lifecycle
from ecrf.subjects.models import Subject
from ecrf.treatment import pregnancy
from ecrf.visits.planning import VisitPlan, dlt_window, summary
from ecrf.visits.services import plans


@dataclass
class Overview:
    today: date
    consents: list[consent_rules.Consent]
    consent_ok: bool
    flags: list[str] = field(default_factory=list)
    withdrawal: ConsentWithdrawal | None = None
    review: EligibilityReview | None = None
    wocbp: bool | None = None
    infusion: date | None = None
    dlt: tuple[date, date] | None = None
    contraception_until: date | None = None
    open_pregnancy_reports: int = 0
    visits: list[VisitPlan] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    next_visit: VisitPlan | None = None
    #: the stage and the next step (ecrf.casebook.next_step: the one rule)
    step: next_step.Step | None = None


def latest_icf_versions(session: Session) -> dict[str, tuple[str, date]]:
    """The most recently approved ICF version of each population."""
    latest: dict[str, tuple[str, date]] = {}
    for v in session.scalars(select(IcfVersion).order_by(IcfVersion.approved_on, IcfVersion.id)):
        latest[v.population] = (v.version, v.approved_on)
    return latest


def reconsent_flags(session: Session, subject: Subject, consents, dob: date | None, today: date) -> list[str]:
    if subject.status not in lifecycle.ACTIVE:
        return []
    return consent_rules.reconsent_flags(consents, latest_icf_versions(session), dob, today,
                                         protocol.active().assent_age_years)


def build(session: Session, subject: Subject, role: str | None = None) -> Overview:
    """The subject's path as ``role`` may see it (None: the whole of it, for the command line and the rules).

    The majority and assent flags name the birthday, so a role that sees the date of birth reduced gets the
    consent-version flags only."""
    tz = subject.site.zone
    today = clock.today_at(tz)
    consents = consent_rules.from_entries(form_entries(session, subject.id, "F.IC"), tz)
    dm = latest_values(session, subject.id, ("I.DM.BRTHDAT", "I.DM.SEX", "I.DM.MENARCHE", "I.DM.STERIL",
                                              "I.DM.STERILTYP", "I.DM.POSTMENO"))
    dob = codec.decode_date(dm.get("I.DM.BRTHDAT"))
    view = Overview(today, consents, consent_rules.allows_data_entry(consents, today))
    if role is not None and masking.reduces(load_study().items["I.DM.BRTHDAT"], role):
        dob = None
    view.flags = reconsent_flags(session, subject, consents, dob, today)
    view.withdrawal = session.scalar(select(ConsentWithdrawal).where(ConsentWithdrawal.subject_id == subject.id)
                                     .order_by(ConsentWithdrawal.id.desc()))
    view.review = session.scalar(select(EligibilityReview).where(EligibilityReview.subject_id == subject.id)
                                 .order_by(EligibilityReview.id.desc()))
    view.wocbp = pregnancy.is_wocbp(dm)
    infusion = event_values(session, subject.id, ["SE.D0"]).get("SE.D0", {}).get("I.INF.STDTC")
    if infusion:
        view.infusion = codec.local_date(infusion, tz)
        view.dlt = dlt_window(view.infusion, protocol.active().dlt_days)
        if view.wocbp:
            view.contraception_until = pregnancy.contraception_until(view.infusion)
    view.open_pregnancy_reports = sum(1 for r in form_entries(session, subject.id, "F.PREGREP")
                                      if not r.get("I.PREGREP.OUT"))
    view.visits = plans(session, [subject], today)[subject.id]
    view.counts = summary(view.visits)
    view.step = next_step.for_subjects(session, [subject], today, {subject.id: view.visits})[subject.id]
    view.next_visit = view.step.visit
    return view
