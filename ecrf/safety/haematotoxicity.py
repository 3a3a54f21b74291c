"""A subject's haematotoxicity after the CAR-T infusion: early and late ICAHT from the stored blood counts.

Reads every F.HEM of the subject (any visit, unscheduled ones included) and the infusion start in one statement
(:func:`ecrf.capture.facts.forms_with`),
places each sample on its study day (the site-local day of I.HEM.DTC minus the site-local day of the infusion,
day 0), converts the units of the CRF to those of the grading tables (I.HEM.NEUT x10^9/L x 1000 = ANC/µL;
I.HEM.PLAT is x10^9/L already) and grades with :mod:`ecrf.clinical.icaht`, which documents how durations are
counted from sparse counts. Nothing is stored: the grade is always computed from the counts as they are now.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ecrf.capture.facts import forms_with
from ecrf.clinical import icaht
from ecrf.study import clock, codec
from ecrf.study.schedule import INFUSION_START, study_day
from ecrf.subjects.models import Subject

SAMPLE, NEUTROPHILS, PLATELETS = "I.HEM.DTC", "I.HEM.NEUT", "I.HEM.PLAT"
#: the items read (the infusion start is on F.INF, at day 0 only)
OIDS = frozenset({INFUSION_START, SAMPLE, NEUTROPHILS, PLATELETS})


@dataclass(frozen=True)
class SubjectIcaht:
    """Early and late grades per lineage, or why the subject cannot be graded (``problem``)."""

    infusion: date | None
    neutrophils: tuple[icaht.IcahtGrade, icaht.IcahtGrade] | None = None  # (early, late)
    platelets: tuple[icaht.IcahtGrade, icaht.IcahtGrade] | None = None
    samples: int = 0
    problem: str | None = None
    #: samples left out, with why (no date, an unreadable value)
    skipped: list[str] = field(default_factory=list)

    @property
    def formula_version(self) -> str:
        return icaht.FORMULA_VERSION


def _number(value: str) -> float | None:
    try:
        return float(Decimal(value))
    except (InvalidOperation, ValueError):
        return None


def from_forms(forms: Iterable[tuple[str, dict]], tz: ZoneInfo, today: date | None = None) -> SubjectIcaht:
    """The grades from the subject's stored forms (form OID, values), as :func:`ecrf.capture.facts.forms_with`
    reads them for :data:`OIDS`; ``today`` (the site's, by default): later days have not happened."""
    samples, infusion = [], None
    for form_oid, values in forms:
        if form_oid == "F.INF" and values.get(INFUSION_START):
            infusion = codec.local_date(values[INFUSION_START], tz)
        elif form_oid == "F.HEM":
            samples.append(values)
    if infusion is None:
        return SubjectIcaht(None, problem="no CAR-T infusion recorded yet")
    anc, plt, skipped = [], [], []
    for values in samples:
        if not values.get(SAMPLE):
            skipped.append("a haematology form without its sample date")
            continue
        day = study_day(codec.local_date(values[SAMPLE], tz), infusion)
        for oid, out, convert in ((NEUTROPHILS, anc, icaht.anc_per_ul), (PLATELETS, plt, float)):
            number = _number(values[oid]) if values.get(oid) else None
            if number is not None:
                out.append(icaht.Count(day, convert(number)))
    if not anc and not plt:
        return SubjectIcaht(infusion, problem="no neutrophil or platelet counts recorded", skipped=skipped)
    as_of = ((today or clock.today_at(tz)) - infusion).days  # later days have not happened: no count stands for them
    return SubjectIcaht(
        infusion,
        neutrophils=(icaht.early_neutrophil(anc, as_of=as_of), icaht.late_neutrophil(anc)),
        platelets=(icaht.early_platelet(plt, as_of=as_of), icaht.late_platelet(plt, as_of=as_of)),
        samples=len(samples), skipped=skipped,
    )


def subject_icaht(session: Session, subject: Subject) -> SubjectIcaht:
    """The subject's early (day 0-30) and late (after day 30) ICAHT, neutrophils and platelets (one statement)."""
    return from_forms(forms_with(session, subject.id, OIDS), subject.site.zone)


def describe(grade: icaht.IcahtGrade) -> str:
    """One line for a page: the grade and its basis, or "cannot grade: <why>"."""
    if grade.grade is None:
        return f"cannot grade: {grade.problem}"
    unit = "ANC ≤" if grade.lineage == icaht.ANC else "platelets <"
    per = "/µL" if grade.lineage == icaht.ANC else " x10^9/L"
    if grade.window == "early":
        basis = ", ".join(f"{unit}{limit:g}{per} on {days} d" for limit, days in grade.days_below.items())
    else:
        basis = ", ".join(f"{n} count(s) {unit}{limit:g}{per}" for limit, n in grade.low_counts.items())
        if grade.days_below:
            basis += "; " + ", ".join(f"{unit}{limit:g}{per} on {days} d" for limit, days in grade.days_below.items())
    text = f"grade {grade.grade} ({basis})"
    if grade.provisional:
        text += f"; provisional: {grade.unknown_days} day(s) of the window without a recent count"
    return text


def summary(result: SubjectIcaht) -> list[tuple[str, str]]:
    """The casebook's lines: (what, its grade and basis), or one "cannot grade: <why>" line."""
    if result.problem:
        return [("ICAHT", f"cannot grade: {result.problem}")]
    lines = []
    for name, pair in (("Neutrophils (N-ICAHT)", result.neutrophils), ("Platelets (T-ICAHT)", result.platelets)):
        early, late = pair
        lines.append((f"{name}, early (day 0-30)", describe(early)))
        lines.append((f"{name}, late (after day 30)", describe(late)))
    lines.extend(("Left out", why) for why in result.skipped)
    return lines
