"""Operational checks on the order of the cell-therapy steps (21 CFR 11.10(f)).

Lymphodepletion follows collection and enrolment; infusion follows
lymphodepletion, matches the assigned dose within tolerance, waits for the
dose level's sentinel period, and needs a negative pregnancy test for women
of childbearing potential. A positive test during follow-up opens a report.
The subject's status follows in ecrf.treatment.progress.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ecrf.capture import services as capture
from ecrf.capture.facts import event_values, form_entries, latest_values
from ecrf.errors import Refusals, Refused
from ecrf.study import calculators, codec, protocol
from ecrf.study.codec import local_date
from ecrf.study.validation import Context
from ecrf.subjects import lifecycle
from ecrf.subjects.models import Subject
from ecrf.treatment import pregnancy
from ecrf.visits.planning import sentinel_clear_date

LD_EVENTS = ("SE.LD1", "SE.LD2", "SE.LD3")


def _day(values: dict, oid: str, tz) -> date | None:
    return local_date(values[oid], tz) if values.get(oid) else None


def _needs_enrolment(t, step: str) -> None:
    if t.subject.status not in lifecycle.ENROLLED:
        raise Refused(f"{step} can only be recorded for an enrolled subject (this subject is {t.subject.status}).",
                      first="enrolment")


def _pregnancy_check(session, t, step: str, step_date: date, test_event: str, window_days: int,
                     item: str | None = None) -> None:
    dm = latest_values(session, t.subject.id, ("I.DM.SEX", "I.DM.MENARCHE", "I.DM.STERIL", "I.DM.STERILTYP",
                                               "I.DM.POSTMENO"))
    wocbp = pregnancy.is_wocbp(dm)
    if wocbp is None:
        raise Refused(f"Sex and menarche status must be recorded on Demographics before {step}.",
                      first=("SE.SUBJECT", "F.DM"))
    if wocbp:
        tz = t.subject.site.zone
        test = event_values(session, t.subject.id, [test_event]).get(test_event, {})
        problem = pregnancy.clearance_problem(test, step, step_date, _day(test, "I.PREG.DTC", tz), window_days)
        if problem:
            raise Refused(problem, item=item, first=(test_event, "F.PREG"))


def _collection_day(session, t) -> date | None:
    known = event_values(session, t.subject.id, ["SE.LEUKAPHERESIS"]).get("SE.LEUKAPHERESIS", {})
    return _day(known, "I.LEUK.STDTC", t.subject.site.zone)


def lymphodepletion_prerequisites(session, t, origin) -> None:
    """A gate: lymphodepletion is for an enrolled subject whose cells were collected."""
    if t.form.oid not in ("F.LD", "F.LDDOSE"):
        return
    _needs_enrolment(t, "Lymphodepletion")
    if t.form.oid == "F.LDDOSE" and _collection_day(session, t) is None:
        raise Refused("Record the cell collection (leukapheresis) before lymphodepletion.",
                      first=("SE.LEUKAPHERESIS", "F.LEUK"))


def lymphodepletion_order(session, t, values, origin) -> None:
    """Every problem of a lymphodepletion dose form at once, each at its item."""
    if t.form.oid != "F.LDDOSE" or not values.get("I.LDDOSE.DAT"):
        return
    tz = t.subject.site.zone
    day = codec.decode_date(values["I.LDDOSE.DAT"])
    known = event_values(session, t.subject.id, list(LD_EVENTS))
    collected = _collection_day(session, t)
    problems: list[Refused] = []
    if collected is not None and day <= collected:
        problems.append(Refused(f"Lymphodepletion on {day} must come after the cell collection on {collected}.",
                                item="I.LDDOSE.DAT"))
    ld_tolerance = protocol.active().lymphodepletion_dose_tolerance
    for drug in ("FLU", "CY"):
        expected, given = values.get(f"I.LDDOSE.{drug}EXP"), values.get(f"I.LDDOSE.{drug}MG")
        if expected and given and float(expected) > 0 and values.get("I.LDDOSE.MOD") != "true" \
                and abs(float(given) - float(expected)) > ld_tolerance * float(expected):
            name = "Fludarabine" if drug == "FLU" else "Cyclophosphamide"
            problems.append(Refused(f"{name}: {given} mg given is more than {ld_tolerance * 100:g} % away from the "
                                    f"expected {expected} mg "
                                    "(dose per m² x BSA); record the dose modification and its reason.",
                                    item=f"I.LDDOSE.{drug}MG"))
    index = LD_EVENTS.index(t.event.oid)
    if index > 0:
        before = _day(known.get(LD_EVENTS[index - 1], {}), "I.LDDOSE.DAT", tz)
        if before is None or day <= before:
            problems.append(Refused(f"Lymphodepletion day {index + 1} ({day}) must follow day {index} "
                                    f"({before or 'not recorded'}).", item="I.LDDOSE.DAT",
                                    first=(LD_EVENTS[index - 1], "F.LDDOSE")))
    else:
        hours = protocol.active().pregnancy_test_before_lymphodepletion_hours
        try:
            _pregnancy_check(session, t, "lymphodepletion", day, "SE.PRELD", hours // 24, item="I.LDDOSE.DAT")
        except Refused as exc:
            problems.append(exc)
    if refused := Refusals.of(problems):
        raise refused


def _sentinel_problem(session, t, infusion: date) -> str | None:
    subject = t.subject
    if not subject.cohort_seq or subject.cohort_seq == 1:
        return None
    first = session.scalar(select(Subject).where(Subject.dose_level == subject.dose_level, Subject.cohort_seq == 1))
    first_day = None
    if first is not None:
        tz = first.site.zone
        first_day = _day(event_values(session, first.id, ["SE.D0"]).get("SE.D0", {}), "I.INF.STDTC", tz)
    if first_day is None:
        return f"The sentinel subject of dose level {subject.dose_level} has not been infused yet."
    days = protocol.active().sentinel_days
    clear = sentinel_clear_date(first_day, days)
    if infusion < clear:
        return (f"Dose level {subject.dose_level}: the sentinel subject was infused on {first_day}; the next subject "
                f"may be infused from {clear} ({days}-day observation).")
    return None


def _dose_within_tolerance(t, values) -> None:
    """The tolerance check of every infusion (ecrf.study.calculators.infused_dose: infused against target total
    cells). A whole product infused outside the tolerance is refused; an incomplete infusion outside it is a dose
    deviation: stored with its reason and reviewed (the edit checks INF.DEVIATION_REASON and INF.DOSE_DEVIATION)."""
    if not t.subject.dose_level:
        return
    dose = calculators.infused_dose(values, level=str(t.subject.dose_level))
    if dose is None or dose.within_tolerance or values.get("I.INF.COMPLETE") == "false":
        return
    level = values.get("I.INF.DOSELEVEL") or t.subject.dose_level
    target = protocol.active().dose_levels_cells_per_kg[int(level) - 1] / 1e5
    raise Refused(f"The infused dose {values['I.INF.DOSEKG']} x10^5 cells/kg is more than {dose.tolerance_pct:g}% "
                  f"away from the prescribed {target:g} x10^5 cells/kg of dose level {level} "
                  f"({dose.deviation_pct:+.2f} % of the target {dose.prescribed_cells / 1e6:g} x10^6 cells).",
                  item="I.INF.DOSEKG")


def _last_lymphodepletion(session, t) -> date | None:
    tz = t.subject.site.zone
    ld = [_day(v, "I.LDDOSE.DAT", tz) for v in event_values(session, t.subject.id, LD_EVENTS).values()]
    return max((d for d in ld if d), default=None)


def infusion_prerequisites(session, t, origin) -> None:
    """A gate: the infusion is for an enrolled subject, after lymphodepletion."""
    if t.form.oid != "F.INF":
        return
    _needs_enrolment(t, "The CAR-T infusion")
    if _last_lymphodepletion(session, t) is None:
        raise Refused("Record lymphodepletion before the CAR-T infusion.", first=("SE.LD1", "F.LDDOSE"))


def infusion_order(session, t, values, origin) -> None:
    """Every problem of an infusion form at once, each at its item (the form-wide ones without)."""
    if t.form.oid != "F.INF":
        return
    tz = t.subject.site.zone
    start, end = _day(values, "I.INF.STDTC", tz), values.get("I.INF.ENDTC")
    if start is None:
        return
    problems: list[Refused] = []
    if end and values["I.INF.ENDTC"] < values["I.INF.STDTC"]:
        problems.append(Refused("The infusion end is before its start.", item="I.INF.ENDTC"))
    last_ld = _last_lymphodepletion(session, t)
    if last_ld is not None and start <= last_ld:
        problems.append(Refused(f"The infusion on {start} must come after lymphodepletion (last dose on {last_ld}).",
                                item="I.INF.STDTC"))
    level = values.get("I.INF.DOSELEVEL")
    if level and t.subject.dose_level and int(level) != t.subject.dose_level:
        problems.append(Refused(f"The prescribed dose level {level} differs from the subject's assigned dose level "
                                f"{t.subject.dose_level}.", item="I.INF.DOSELEVEL"))
    try:
        _dose_within_tolerance(t, values)
    except Refused as exc:
        problems.append(exc)
    product = event_values(session, t.subject.id, ["SE.LEUKAPHERESIS"]).get("SE.LEUKAPHERESIS", {})
    if product.get("I.PRODUCT.RELRES") not in ("PASS", "EXCEPTION"):
        problems.append(Refused("The CAR-T product has no release result allowing infusion (pass, or released by "
                                "exception) on the manufacturing form.", first=("SE.LEUKAPHERESIS", "F.PRODUCT")))
    if values.get("I.INF.LOT") and product.get("I.PRODUCT.LOT") and values["I.INF.LOT"] != product["I.PRODUCT.LOT"]:
        problems.append(Refused(f"The infused lot {values['I.INF.LOT']} is not the released lot "
                                f"{product['I.PRODUCT.LOT']}.", item="I.INF.LOT"))
    if problem := _sentinel_problem(session, t, start):
        problems.append(Refused(problem, item="I.INF.STDTC"))
    try:
        _pregnancy_check(session, t, "the infusion", start, "SE.D0",
                         protocol.active().pregnancy_test_before_infusion_days, item="I.INF.STDTC")
    except Refused as exc:
        problems.append(exc)
    if refused := Refusals.of(problems):
        raise refused


def writes_pregnancy_report_on_positive_test(session, t, form, origin) -> None:
    """A positive pregnancy test during follow-up opens a pregnancy report to be completed (brief: safety)."""
    values = form.values
    if t.form.oid != "F.PREG" or values.get("I.PREG.RES") != "POS":
        return
    if t.event.oid not in pregnancy.FOLLOW_UP_TEST_EVENTS and t.event.oid != "SE.UNSCHED":
        return
    reports = form_entries(session, t.subject.id, "F.PREGREP")
    if any(r.get("I.PREGREP.AWAREDTC") == values.get("I.PREG.DTC") for r in reports):
        return
    target = capture.resolve(t.subject, "SE.SUBJECT", "F.PREGREP", 1, len(reports) + 1)
    capture.save_form(session, target, {"I.PREGREP.SUBJ": "PARTICIPANT", "I.PREGREP.AWAREDTC": values["I.PREG.DTC"]},
                      version=0, user_id=form.updated_by_id, ctx=Context.now_at(t.subject.site.zone),
                      origin="pregnancy_report")
