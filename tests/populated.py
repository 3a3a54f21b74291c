"""A fully populated synthetic subject, built through the services the application uses (capture's save_form,
enrolment, queries, source data verification, signatures), for the casebook tests and benchmarks.

    populate(session, subject)  # every visit to month 12, ~2,600 values, ~5,000 audit records, 20 AEs

Needs the users of the ``world`` fixture at the subject's site (coordinator, monitor, data_manager, investigator
with ``helpers.PASSWORD``). Dates are relative to today: the infusion ``INFUSED_DAYS_AGO`` days ago (the
sentinel of the dose level: the first subject enrolled) or 15 days after it (the others, after the sentinel
period), so month 12 is past. Values are generic but valid: numbers inside their limits, the
"no" answers of code lists, the visit's date for dates, words for texts (a few long, with XML special
characters, to test wrapping and escaping).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from helpers import PASSWORD, register_icf
from sqlalchemy import func, select

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.models import AuditEvent
from ecrf.auth.models import User
from ecrf.capture import services as capture
from ecrf.enrolment import services as enrolment
from ecrf.errors import Invalid
from ecrf.infra.config import DEFAULTS
from ecrf.queries.services import raise_query, step
from ecrf.sdv.services import verify_form
from ecrf.signatures.coverage import Scope
from ecrf.signatures.services import sign
from ecrf.study.definition import load as load_study
from ecrf.study.reasons import REASONS
from ecrf.study.types import DataType, Item
from ecrf.subjects.models import Subject

INFUSED_DAYS_AGO = 420
ICF = ("1.0", "2024-06-01")  # an ICF version approved before the oldest consent the populated subjects sign
#: forms not filled generically: consent (own values), the service-owned enrolment form, and the forms that end
#: or change participation (a death, an end of study, a pregnancy report)
SKIP_FORMS = frozenset({"F.IC", "F.ENROL", "F.DEATH", "F.EOS", "F.PREGREP"})
#: the code a generic form answers when the code list has it: the "no" or "normal" answers need no detail
SAFE_CODES = ("N", "NEG", "NORMAL", "PASS", "NOT RELATED", "RECOVERED/RESOLVED", "10")
LONG_TEXT = ("Reviewed with the participant at the visit: fatigue <grade 2 & improving since the last visit; "
             "no new joint swelling, rash or ulcers; she reports \"feeling much better\" and walking 5 km a day. "
             "Plan: continue the current regimen and re-check complement C3/C4 & anti-dsDNA at the next visit.")
MEANINGS = DEFAULTS["SIGNATURE_MEANINGS"]


@dataclass
class Populated:
    """What was built, for the assertions of tests."""

    subject_key: str
    day0: date
    forms: int = 0
    saves: int = 0
    corrected: list[tuple[str, str, str, str]] = field(default_factory=list)  # (event, form, item, new value)


def _users(session) -> dict[str, User]:
    return {u.username: u for u in session.scalars(select(User).where(User.username.in_(
        ("coordinator", "monitor", "data_manager", "investigator"))))}


def _act(session, user: User) -> User:
    set_actor(session, Actor.of(user))
    return user


def _number(item: Item, n: int) -> str:
    """Inside the hard limits, in the lower-middle part (plausible, diastolic below systolic)."""
    low, high = float(item.min), float(item.max)
    value = low + (high - low) * (0.40 + (n % 10) / 100)
    if item.data_type is DataType.INTEGER:
        return str(int(value))
    return f"{value:.{item.decimals if item.decimals is not None else 1}f}"


def _value(item: Item, day: date, n: int) -> str:
    kind = item.data_type
    if kind is DataType.DATE:
        return day.isoformat()
    if kind is DataType.DATETIME:
        return f"{day.isoformat()}T{8 + n % 9:02d}:{(7 * n) % 60:02d}"
    if kind in (DataType.INTEGER, DataType.FLOAT):
        return _number(item, n)
    if kind is DataType.CODELIST:
        return next((c for c in SAFE_CODES if c in item.codelist.values), item.codelist.values[0])
    if kind is DataType.BOOLEAN:
        return "false"
    if item.max_length >= len(LONG_TEXT) and n % 5 == 0:
        return LONG_TEXT
    return f"{item.label} - note {n}"[: item.max_length]


def generic_values(form_oid: str, day: date, seed: int = 0) -> dict[str, str]:
    """Valid values for the items of the form that are not calculated: every required one, every other optional
    one (as sites leave optional items empty)."""
    items = load_study().form(form_oid).items
    values = {i.oid: _value(i, day, n) for n, i in enumerate(items, seed)
              if not i.calculated and (i.required or n % 2 == 0)}
    if form_oid == "F.CHEM":  # creatinine as reported, in either unit (the stored µmol/L value is calculated)
        values.update({"I.CHEM.CREATORRES": "0.8", "I.CHEM.CREATU": "mg/dL"} if seed % 2 else
                      {"I.CHEM.CREATORRES": "68", "I.CHEM.CREATU": "umol/L"})
    return values


def _flags(form) -> dict:
    """A stored form's "not done" answers, as a save takes them (a save without them clears them)."""
    return {oid: {"code": code, "reason": reason} for oid, (code, reason) in form.flags.items()}


def _without(values: dict, *oids: str) -> dict:
    return {k: v for k, v in values.items() if k not in oids}


class _Filler:
    def __init__(self, session, subject, users):
        self.session, self.subject, self.users = session, subject, users
        self.saves = 0

    def save(self, event_oid: str, form_oid: str, values: dict, *, form_repeat: int = 1, missing=None,
             reason: tuple[str, str] | None = None, user: str = "coordinator"):
        """Save through capture as ``user``; values a hard check refuses are left out (generic data), a trial
        rule's refusal is an error of this builder and propagates."""
        target = capture.resolve(self.subject, event_oid, form_oid, 1, form_repeat)
        who = _act(self.session, self.users[user])
        values = dict(values)
        for _ in range(4):
            existing = capture.find_form(self.session, target)
            try:
                form = capture.save_form(self.session, target, values, version=existing.version if existing else 0,
                                         user_id=who.id, ctx=ctx_at(self.subject), missing=missing,
                                         reason_code=reason[0] if reason else None,
                                         reason_note=reason[1] if reason else None)
                self.saves += 1
                return form
            except Invalid as refused:  # refused before anything is written
                bad = set(refused.errors) - {"reason"}
                if not bad or not bad & set(values):
                    raise
                values = {k: v for k, v in values.items() if k not in bad}
        raise AssertionError(f"{form_oid} at {event_oid}: still refused")


def ctx_at(subject):
    from ecrf.study.validation import Context

    return Context.now_at(subject.site.zone)


def _visits(months: int):
    """(event OID, day relative to infusion) of the scheduled visits from lymphodepletion to ``months``."""
    study = load_study()
    limit = round(months * 30.5)
    return [(e.oid, e.day) for e in study.events
            if e.type == "Scheduled" and e.anchor == "infusion" and e.day is not None and e.day <= limit]


def populate(session, subject, months: int = 12, aes: int = 20, audit_records: int = 5000) -> Populated:
    """Fill ``subject``'s casebook as a site would over ``months`` of follow-up (committed)."""
    users = _users(session)
    today = date.today()
    sentinel = session.scalar(select(Subject.id).where(Subject.cohort_seq == 1)) is None  # the first enrolled
    day0 = today - timedelta(days=INFUSED_DAYS_AGO - (0 if sentinel else 15))
    consented = day0 - timedelta(days=60)
    screening = consented + timedelta(days=3)
    fill = _Filler(session, subject, users)
    built = Populated(subject.key, day0)

    register_icf(session, *ICF)
    fill.save("SE.SUBJECT", "F.IC", {"I.IC.REASON": "FIRST", "I.IC.VERSION": ICF[0], "I.IC.VERDAT": ICF[1],
                                     "I.IC.TYPE": "ADULT", "I.IC.SIGNER": "PARTICIPANT",
                                     "I.IC.DTC": f"{consented}T09:00", "I.IC.COPY": "true"})
    fill.save("SE.SUBJECT", "F.DM", {"I.DM.BRTHDAT": "1984-07-19", "I.DM.SEX": "M", "I.DM.ETHNIC": "NOT REPORTED"})
    screening_forms = [r.form_oid for r in load_study().event("SE.SCREENING").forms]
    for n, form_oid in enumerate(screening_forms):
        values = generic_values(form_oid, screening, n)
        if form_oid == "F.ELIG":
            values.update({k: "true" for k in ("I.ELIG.LEUKOK", "I.ELIG.ELIGIBLE")})
        if form_oid == "F.MH":  # three conditions, ongoing
            for repeat in range(1, 4):
                fill.save("SE.SCREENING", form_oid, {**_without(values, "I.MH.ENDAT"), "I.MH.ONGO": "Y",
                                                     "I.MH.TERM": f"Medical history {repeat}"}, form_repeat=repeat)
            continue
        fill.save("SE.SCREENING", form_oid, values)
    _enrol(session, subject, users, screening + timedelta(days=4))

    _treatment(fill, subject, day0)
    for event_oid, day in _visits(months):
        for n, ref in enumerate(load_study().event(event_oid).forms):
            if day < 0 or event_oid == "SE.D0" and ref.form_oid == "F.INF" or ref.form_oid in SKIP_FORMS:
                continue  # lymphodepletion and the infusion were recorded by _treatment
            missing = None
            values = generic_values(ref.form_oid, day0 + timedelta(days=day), n + day)
            if ref.form_oid == "F.VS" and day % 3 == 1:  # now and then the oximeter is broken
                values.pop("I.VS.SPO2", None)
                missing = {"I.VS.SPO2": {"code": "NOT_DONE", "reason": "Oximeter broken; no spare on the ward."}}
            fill.save(event_oid, ref.form_oid, values, missing=missing)
    for n in range(1, aes + 1):
        onset = day0 + timedelta(days=1 + (n * 17) % (months * 30))
        fill.save("SE.SUBJECT", "F.AE", {**generic_values("F.AE", onset, n), "I.AE.TERM": f"Adverse event {n}",
                                         "I.AE.ENDAT": (onset + timedelta(days=3)).isoformat()}, form_repeat=n)
    for n in range(1, 4):
        fill.save("SE.SUBJECT", "F.CM", {**_without(generic_values("F.CM", screening, n), "I.CM.ENDAT"),
                                         "I.CM.ONGO": "Y", "I.CM.TRT": f"Hydroxychloroquine {n}"}, form_repeat=n)
    session.commit()

    _monitoring(session, fill, subject, users, built)
    _corrections(session, fill, subject, audit_records, built)
    _sign(session, subject, users["investigator"], Scope.casebook(), 0)
    session.commit()
    built.saves = fill.saves
    built.forms = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.subject_key == subject.key, AuditEvent.entity == "form_data", AuditEvent.action == "create"))
    return built


def _enrol(session, subject, users, on: date) -> None:
    investigator = _act(session, users["investigator"])
    result = enrolment.eligibility(session, subject)
    enrolment.confirm_eligibility(session, subject, investigator, PASSWORD, [*result.failed, *result.missing],
                                  "Synthetic subject: the source documents are on file.", despite_missing=True)
    enrolment.enrol(session, subject, on)
    session.commit()


def _treatment(fill: _Filler, subject, day0: date) -> None:
    """Collection, product release, lymphodepletion and the infusion, in the order the trial's rules ask."""
    collected, ld1 = day0 - timedelta(days=30), day0 - timedelta(days=5)
    fill.save("SE.LEUKAPHERESIS", "F.LEUK", {
        "I.LEUK.TYPE": "LEUKAPHERESIS", "I.LEUK.STDTC": f"{collected}T09:00", "I.LEUK.ENDTC": f"{collected}T13:00",
        "I.LEUK.VOLPROC": "9000", "I.LEUK.TNC": "6.1", "I.LEUK.COMPL": "false"})
    fill.save("SE.LEUKAPHERESIS", "F.PRODUCT", {
        "I.PRODUCT.LOT": f"CART19-{subject.subject_no}", "I.PRODUCT.VECTOR": "LENTIVIRAL",
        "I.PRODUCT.RELDAT": (ld1 - timedelta(days=1)).isoformat(), "I.PRODUCT.VIAB": "91.0",
        "I.PRODUCT.CARPCT": "38.5", "I.PRODUCT.RELRES": "PASS"})
    for n, ref in enumerate(load_study().event("SE.PRELD").forms):
        fill.save("SE.PRELD", ref.form_oid, generic_values(ref.form_oid, day0 - timedelta(days=7), n))
    fill.save("SE.LD1", "F.LD", {"I.LD.DAT": ld1.isoformat(), "I.LD.HEIGHT": "172", "I.LD.WEIGHT": "68",
                                 "I.LD.REDUCED": "false"})
    for n, event_oid in enumerate(("SE.LD1", "SE.LD2", "SE.LD3")):
        day = ld1 + timedelta(days=n)
        fill.save(event_oid, "F.LDDOSE", {
            "I.LDDOSE.DAT": day.isoformat(), "I.LDDOSE.FLUYN": "true", "I.LDDOSE.FLUM2": "30",
            "I.LDDOSE.FLUMG": "54", "I.LDDOSE.FLUSTDTC": f"{day}T09:00", "I.LDDOSE.FLUENDTC": f"{day}T09:30",
            "I.LDDOSE.CYYN": "true", "I.LDDOSE.CYM2": "500", "I.LDDOSE.CYMG": "900",
            "I.LDDOSE.CYSTDTC": f"{day}T10:00", "I.LDDOSE.CYENDTC": f"{day}T11:00", "I.LDDOSE.MOD": "false"})
    fill.save("SE.D0", "F.INF", {
        "I.INF.WEIGHT": "68", "I.INF.WEIGHTDAT": day0.isoformat(), "I.INF.DOSELEVEL": str(subject.dose_level),
        "I.INF.DOSEKG": "1.5", "I.INF.LOT": f"CART19-{subject.subject_no}", "I.INF.STDTC": f"{day0}T10:00",
        "I.INF.ENDTC": f"{day0}T10:15", "I.INF.COMPLETE": "true", "I.INF.PREMED": "true",
        "I.INF.PREMEDSP": "Paracetamol 1 g & chlorphenamine 10 mg <30 min before", "I.INF.REACT": "false",
        **{f"I.INF.{when}{k}": v for when in ("PRE", "POST") for k, v in (
            ("DTC", f"{day0}T{'09:40' if when == 'PRE' else '10:45'}"), ("TEMP", "36.8"), ("SYSBP", "118"),
            ("DIABP", "72"), ("HR", "80"), ("RESP", "16"), ("SPO2", "98"))}})


def _sign(session, subject, investigator: User, scope: Scope, meaning: int) -> None:
    sign(session, _act(session, investigator), subject, scope, MEANINGS[meaning], meanings=MEANINGS,
         password=PASSWORD, despite_missing=True)


def _monitoring(session, fill: _Filler, subject, users, built: Populated) -> None:
    """Queries in every state, the screening and infusion forms verified, visit signatures (one broken later)."""
    def target(event_oid, form_oid):
        return capture.resolve(subject, event_oid, form_oid)

    monitor, manager, coordinator = users["monitor"], users["data_manager"], users["coordinator"]
    asked = [("SE.D1", "F.VS", "I.VS.HR", "The heart rate reads differently on the nursing chart: please check."),
             ("SE.D2", "F.VS", "I.VS.TEMP", "Please confirm the temperature against the source."),
             ("SE.D7", "F.HEM", "I.HEM.HGB", "Haemoglobin <80 g/L & no transfusion recorded: please confirm."),
             ("SE.M3", "F.CHEM", "I.CHEM.CREAT", "Creatinine rose since month 2: repeat sample?"),
             ("SE.M6", "F.VS", "I.VS.WEIGHT", "The weight is unchanged since screening: re-weighed?")]
    queries = [raise_query(session, target(e, f), i, text, _act(session, monitor)) for e, f, i, text in asked]
    step(session, queries[1], "answer", "Confirmed against the observation chart.", _act(session, coordinator))
    step(session, queries[2], "answer", "Transfusion given on the ward, now entered on the CM log.",
         _act(session, coordinator))
    step(session, queries[2], "close", "Thank you, resolved.", _act(session, monitor))
    step(session, queries[4], "answer", "Yes, the weight is stable.", _act(session, coordinator))
    step(session, queries[4], "reopen", "Please note the source page of the scale printout.", _act(session, monitor))
    dm = raise_query(session, target("SE.SUBJECT", "F.DM"), "I.DM.ETHNIC",
                     "Ethnicity is not reported: is this intended?", _act(session, manager))
    step(session, dm, "cancel", "Raised in error: not reporting ethnicity is allowed.", _act(session, manager))
    for event_oid, refs in (("SE.SCREENING", load_study().event("SE.SCREENING").forms),
                            ("SE.D0", load_study().event("SE.D0").forms)):
        for ref in refs:
            form = capture.find_form(session, target(event_oid, ref.form_oid))
            if form is not None:
                verify_form(session, form, subject, target(event_oid, ref.form_oid).form, _act(session, monitor))
    _sign(session, subject, users["investigator"], Scope.visit("SE.SCREENING"), 2)
    _sign(session, subject, users["investigator"], Scope.visit("SE.D1"), 2)
    session.commit()
    # a correction after the review: the day-1 signature no longer holds
    form = capture.find_form(session, target("SE.D1", "F.VS"))
    fill.save("SE.D1", "F.VS", {**form.values, "I.VS.RESP": "19"}, missing=_flags(form),
              reason=("QUERY", "Corrected as per the nursing chart."))
    built.corrected.append(("SE.D1", "F.VS", "I.VS.RESP", "19"))
    session.commit()


def _corrections(session, fill: _Filler, subject, audit_records: int, built: Populated) -> None:
    """Re-save numbers of the follow-up forms, each with a reason for change, until the subject's audit trail
    holds ``audit_records`` records."""
    def count() -> int:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.subject_key == subject.key))

    study = load_study()
    codes = [c for c in REASONS.values if c != "OTHER"]
    events = [oid for oid, day in _visits(12) if day > 0]
    round_ = 0
    while (have := count()) < audit_records and round_ < 6:
        round_ += 1
        for n, event_oid in enumerate(events):
            for ref in study.event(event_oid).forms:
                form = capture.find_form(session, capture.resolve(subject, event_oid, ref.form_oid))
                if form is None or ref.form_oid == "F.VS" and event_oid == "SE.D1":
                    continue
                numbers = [i for i in study.form(ref.form_oid).items if not i.calculated
                           and i.data_type in (DataType.INTEGER, DataType.FLOAT) and form.values.get(i.oid)]
                if not numbers:
                    continue
                changed = {i.oid: _number(i, n + round_ + 3) for i in numbers}
                changed = {k: v for k, v in changed.items() if v != form.values.get(k)}
                if not changed:
                    continue
                code = codes[(n + round_) % len(codes)]
                fill.save(event_oid, ref.form_oid, {**form.values, **changed}, missing=_flags(form),
                          reason=(code, f"Correction round {round_}: re-read from the source."))
                built.corrected.append((event_oid, ref.form_oid, *next(iter(changed.items()))))
                have += len(changed)
                if have >= audit_records:
                    break
            if have >= audit_records:
                break
        session.commit()
