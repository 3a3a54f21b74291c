"""Capture guards for consent: nothing before consent; registered ICF versions; consent before procedures."""
from __future__ import annotations

from sqlalchemy import select

from ecrf.capture.facts import form_entries
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.consent import rules
from ecrf.consent.models import ConsentWithdrawal, IcfVersion
from ecrf.errors import Refused
from ecrf.study import clock, codec
from ecrf.study.definition import load as load_study
from ecrf.study.types import DataType

# forms that may still be completed after a withdrawal of all consent
_AFTER_FULL_WITHDRAWAL = {"F.EOS", "F.DEATH", "F.IC"}
_TREATMENT_FORMS = {"F.LEUK", "F.PRODUCT", "F.LD", "F.LDDOSE", "F.INF"}


def subject_consents(session, subject) -> list[rules.Consent]:
    return rules.from_entries(form_entries(session, subject.id, "F.IC"), subject.site.zone)


CONSENT_FORM = ("SE.SUBJECT", "F.IC")


def consent_before_data(session, t, origin) -> None:
    """ICH E6(R3): no trial data for a subject before informed consent is recorded (a gate: checked when the
    form is opened and at every save)."""
    if t.form.oid == "F.IC":
        return
    tz = t.subject.site.zone

    if not rules.allows_data_entry(subject_consents(session, t.subject), clock.today_at(tz)):
        raise Refused("No data can be entered for this subject before informed consent is recorded: "
                      "enter the signed consent (participant, or parent/guardian) on the Informed consent form first.",
                      first=CONSENT_FORM)
    withdrawal = session.scalar(select(ConsentWithdrawal).where(ConsentWithdrawal.subject_id == t.subject.id)
                                .order_by(ConsentWithdrawal.withdrawn_on.desc()))
    if withdrawal and withdrawal.scope == "ALL" and t.form.oid not in _AFTER_FULL_WITHDRAWAL:
        raise Refused(f"Consent was withdrawn on {withdrawal.withdrawn_on}: no further data may be entered "
                      "except the end-of-study and death forms.", first=CONSENT_FORM)
    if withdrawal and withdrawal.scope == "TREATMENT" and t.form.oid in _TREATMENT_FORMS:
        raise Refused(f"Consent to further trial treatment was withdrawn on {withdrawal.withdrawn_on}.",
                      first=CONSENT_FORM)


def registered_icf_version(session, t, values, origin) -> None:
    """A consent must name an ICF version that the ethics committee approved for that population."""
    if t.form.oid != "F.IC" or not values.get("I.IC.TYPE") or not values.get("I.IC.VERSION"):
        return
    population, version = values["I.IC.TYPE"], values["I.IC.VERSION"]
    known = list(session.scalars(select(IcfVersion).where(IcfVersion.population == population)
                                 .order_by(IcfVersion.approved_on)))
    match = next((v for v in known if v.version == version), None)
    if match is None:
        listed = ", ".join(v.version for v in known) or "none registered yet"
        raise Refused(f"ICF version {version} is not in the register for {population.lower()} consent "
                      f"(approved versions: {listed}). An investigator or data manager registers new versions.",
                      item="I.IC.VERSION")
    if values.get("I.IC.DTC"):
        signed = codec.local_date(values["I.IC.DTC"], t.subject.site.zone)
        if signed < match.approved_on:
            raise Refused(f"The consent was signed on {signed}, before ICF version {version} was approved "
                          f"({match.approved_on}).", item="I.IC.DTC")


def consent_precedes_procedures(session, t, values, origin) -> None:
    """A first consent dated after a recorded procedure would mean procedures without consent."""
    if t.form.oid != "F.IC" or not values.get("I.IC.DTC") or values.get("I.IC.TYPE") not in ("ADULT", "GUARDIAN"):
        return
    tz = t.subject.site.zone
    signed = codec.local_date(values["I.IC.DTC"], tz)
    others = [c.signed_on for c in subject_consents(session, t.subject) if c.type in ("ADULT", "GUARDIAN")]
    if others and min(others) < signed and t.form_repeat != 1:
        return  # a later re-consent; the first consent still precedes the procedures
    earliest = earliest_procedure_date(session, t.subject, tz)
    if earliest and signed > earliest[0]:
        raise Refused(f"The consent date {signed} is after a procedure already recorded on {earliest[0]} "
                      f"({earliest[1]}). Consent must come first: check both dates.", item="I.IC.DTC")


def earliest_procedure_date(session, subject, tz):
    """(date, item label) of the earliest date recorded on any visit form, or None."""
    study = load_study()
    dated = [i.oid for i in study.items.values() if i.data_type in (DataType.DATE, DataType.DATETIME)
             and not i.oid.startswith(("I.IC.", "I.DM.", "I.SLEHX.", "I.PRIORTX.", "I.MH.", "I.CM.", "I.AE."))]
    rows = session.execute(
        select(ItemData.item_oid, ItemData.value).join(ItemData.form).join(FormData.event)
        .where(StudyEventData.subject_id == subject.id, StudyEventData.event_oid != "SE.SUBJECT",
               ItemData.item_oid.in_(dated), ItemData.value.is_not(None))
    ).all()
    if not rows:
        return None
    day, oid = min((codec.local_date(v, tz), oid) for oid, v in rows)
    return day, study.items[oid].label
