"""A subject's glucocorticoid taper and immunosuppressant stops around the CAR-T infusion, as prednisone equivalent.

Home: this is treatment history (what the subject takes, and when it was tapered or stopped), not a grading of
safety or efficacy; ``ecrf.treatment`` sits below safety, efficacy, the charts and the casebook, so all of them can
read it (the plots draw :func:`subject_steroid_course`, the casebook page shows :func:`subject_treatment_course`).

Sources, read in one statement whatever the number of forms:

* F.GCIS (current SLE therapy, each monthly visit): the daily dose of the glucocorticoid taken and its
  prednisone equivalent (I.GCIS.GCPREDEQ); "no glucocorticoid" is 0 mg/day; the immunosuppressants ticked.
* F.CM (the medication log): entries with a systemic glucocorticoid (I.CM.GCDRUG) are courses from the start to
  the end date (or ongoing) at their prednisone-equivalent daily dose (I.CM.GCPREDEQ). A point is made at each
  start and on the day after each end, with the total of the courses running that day (a taper entered as one
  entry per dose step is a step line); an entry without a computable daily dose (as needed) is left out.
* weights from vital signs, height and weight, lymphodepletion and the infusion: mg/kg uses the latest weight
  measured on or before the point's date (else the first weight measured after it).

The two sources are shown side by side, never added: a site may record the same prednisolone on both.
An immunosuppressant is stopped at the first F.GCIS assessment without it after one with it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from ecrf.capture.facts import forms_with
from ecrf.clinical import steroids
from ecrf.study import codec
from ecrf.study.crfs.codelists import GCDRUG, IMMUNOSUPPRESSANTS
from ecrf.study.schedule import INFUSION_START, study_day
from ecrf.subjects.models import Subject

GCIS, CM = "F.GCIS", "F.CM"
#: (form, date item, weight item) of every weight recorded with its date
WEIGHTS = (("F.VS", "I.VS.DTC", "I.VS.WEIGHT"), ("F.HTWT", "I.HTWT.DAT", "I.HTWT.WEIGHT"),
           ("F.LD", "I.LD.DAT", "I.LD.WEIGHT"), ("F.INF", "I.INF.WEIGHTDAT", "I.INF.WEIGHT"))
_IS = tuple((f"I.GCIS.{code}", label) for code, label in IMMUNOSUPPRESSANTS)
#: the items read
OIDS = frozenset({
    INFUSION_START, *(oid for _, d, w in WEIGHTS for oid in (d, w)),
    "I.GCIS.DAT", "I.GCIS.GCYN", "I.GCIS.GCDRUG", "I.GCIS.GCDOSE", "I.GCIS.GCPREDEQ", "I.GCIS.ISYN",
    *(oid for oid, _ in _IS),
    "I.CM.GCDRUG", "I.CM.GCPREDEQ", "I.CM.DOSE", "I.CM.DOSU", "I.CM.DOSFRQ", "I.CM.STDAT", "I.CM.ENDAT",
    "I.CM.ONGO", "I.CM.TRT",
})


@dataclass(frozen=True)
class SteroidPoint:
    """The prednisone-equivalent dose (mg/day, and mg/kg/day when a weight is known) from ``date`` on."""

    date: date
    study_day: int | None
    prednisone_mg: float
    mg_per_kg: float | None
    source: str  # "F.GCIS" or "F.CM"
    note: str = ""


@dataclass(frozen=True)
class CourseRow:
    """One row of the casebook table: a steroid point (None: a glucocorticoid without a computable dose) and, at an
    F.GCIS assessment, the immunosuppressants taken and those stopped since the previous assessment."""

    date: date
    study_day: int | None
    source: str
    note: str
    point: SteroidPoint | None
    on: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()


@dataclass(frozen=True)
class TreatmentCourse:
    infusion: date | None
    points: list[SteroidPoint] = field(default_factory=list)
    rows: list[CourseRow] = field(default_factory=list)
    #: each immunosuppressant stopped, and the first assessment without it
    stops: dict[str, date] = field(default_factory=dict)


def _number(value: str | None) -> float | None:
    try:
        return None if value in (None, "") else float(Decimal(value))
    except (InvalidOperation, ValueError):
        return None


def _weight_on(weights: list[tuple[date, float]], day: date) -> float | None:
    before = [w for d, w in weights if d <= day]
    return before[-1] if before else (weights[0][1] if weights else None)


def _point(day: date, mg: float, source: str, note: str, infusion: date | None,
           weights: list[tuple[date, float]]) -> SteroidPoint:
    weight = _weight_on(weights, day)
    per_kg = steroids.mg_per_kg_per_day(mg, weight) if weight else None
    return SteroidPoint(day, study_day(day, infusion), round(mg, 2),
                        None if per_kg is None else round(per_kg, 3), source, note)


def _cm_points(courses: list[tuple[date, date | None, float, str]], infusion, weights) -> list[SteroidPoint]:
    """A point at each start and on the day after each end, with the total of the courses running that day."""
    changes = sorted({start for start, _, _, _ in courses}
                     | {end + timedelta(days=1) for _, end, _, _ in courses if end is not None})
    points = []
    for day in changes:
        running = [(mg, note) for start, end, mg, note in courses if start <= day and (end is None or day <= end)]
        points.append(_point(day, sum(mg for mg, _ in running), CM, "; ".join(n for _, n in running) or "stopped",
                             infusion, weights))
    return points


def course(forms: Iterable[tuple[str, dict[str, str]]], tz) -> TreatmentCourse:
    """The course from the forms' values (pure: the tests and :func:`subject_treatment_course` call it)."""
    forms = list(forms)
    infusion = next((codec.local_date(v[INFUSION_START], tz) for oid, v in forms
                     if oid == "F.INF" and v.get(INFUSION_START)), None)
    weights = sorted((codec.local_date(v[d], tz), _number(v[w])) for oid, v in forms for f, d, w in WEIGHTS
                     if oid == f and v.get(d) and _number(v.get(w)))
    assessments, courses = [], []
    for oid, v in forms:
        if oid == GCIS and v.get("I.GCIS.DAT"):
            assessments.append((codec.local_date(v["I.GCIS.DAT"], tz), v))
        elif oid == CM and v.get("I.CM.GCDRUG") and v.get("I.CM.STDAT") and _number(v.get("I.CM.GCPREDEQ")) is not None:
            end = codec.local_date(v.get("I.CM.ENDAT"), tz) if v.get("I.CM.ONGO") != "Y" else None
            note = (f"{GCDRUG.label(v['I.CM.GCDRUG'])} {v.get('I.CM.DOSE', '')} {v.get('I.CM.DOSU', '')} "
                    f"{v.get('I.CM.DOSFRQ', '')}").strip()
            courses.append((codec.local_date(v["I.CM.STDAT"], tz), end, _number(v["I.CM.GCPREDEQ"]), note))
    rows, stops, previous = [], {}, set()
    for day, v in sorted(assessments, key=lambda a: a[0]):
        taking = v.get("I.GCIS.GCYN") == "true"
        mg = _number(v.get("I.GCIS.GCPREDEQ")) if taking else 0.0
        note = (f"{GCDRUG.label(v.get('I.GCIS.GCDRUG'))} {v.get('I.GCIS.GCDOSE', '')} mg/day" if taking
                else "no systemic glucocorticoid")
        # a glucocorticoid ticked without a computable dose has no point (its form shows why)
        point = None if mg is None else _point(day, mg, GCIS, note, infusion, weights)
        on = {label for oid, label in _IS if v.get(oid) == "true"}
        stopped = sorted(previous - on)
        for label in stopped:
            stops.setdefault(label, day)
        rows.append(CourseRow(day, study_day(day, infusion), GCIS, note, point, tuple(sorted(on)), tuple(stopped)))
        previous = on
    rows += [CourseRow(p.date, p.study_day, p.source, p.note, p) for p in _cm_points(courses, infusion, weights)]
    rows.sort(key=lambda r: (r.date, r.source))
    return TreatmentCourse(infusion, [r.point for r in rows if r.point], rows, stops)


def subject_treatment_course(session: Session, subject: Subject) -> TreatmentCourse:
    """The subject's glucocorticoid points, immunosuppressants and stops (one SQL statement)."""
    return course(forms_with(session, subject.id, OIDS), subject.site.zone)


def subject_steroid_course(session: Session, subject: Subject) -> list[SteroidPoint]:
    """The subject's prednisone-equivalent mg/day (and mg/kg) over time, by date (one SQL statement)."""
    return subject_treatment_course(session, subject).points
