"""A subject's efficacy over study day, computed from stored data: per visit SLEDAI-2K, clinical SLEDAI, PGA,
prednisone-equivalent dose, antimalarial and immunosuppressant use, BILAG-2004 grades, and DORIS, LLDAS and SRI-4
against the screening (baseline) visit; the B-cell course and CAR-T kinetics from F.CARTPK.

Study day is counted from the CAR-T infusion (day 0: the site-local date of I.INF.STDTC, as ecrf.visits plans
the schedule). ``cohort_efficacy`` reads every subject's data in one statement whatever the number of subjects
and visits.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.clinical import bcells, cart_kinetics
from ecrf.efficacy import assess
from ecrf.efficacy.assess import Outcome
from ecrf.efficacy.visit import VisitEfficacy, read_visit
from ecrf.study import codec
from ecrf.study.definition import load as load_study
from ecrf.study.schedule import study_day
from ecrf.subjects.models import Subject
from ecrf.visits.services import ANCHOR_ITEMS

__all__ = ["BCellCourse", "CarTKinetics", "Outcome", "SubjectEfficacy", "VisitEfficacy", "cohort_efficacy",
           "subject_efficacy"]

BASELINE_EVENT = "SE.SCREENING"
VISIT_FORMS = ("F.SLEDAI", "F.PGA", "F.BILAG", "F.GCIS")
KINETICS_FORM = "F.CARTPK"
#: persistence landmarks: the scheduled visits, from the first day of their window
PERSISTENCE_EVENTS = ("SE.M3", "SE.M6", "SE.M12")


@dataclass(frozen=True)
class BCellCourse:
    """First post-infusion day of aplasia, day of recovery, days of aplasia; the CD19+ counts (cells/µL)."""

    aplasia_day: int | None
    recovery_day: int | None
    duration_days: int | None
    ongoing: bool
    values: list[tuple[int, float]]
    percent_values: list[tuple[int, float]]
    threshold: str = f"< {bcells.APLASIA_BELOW_CELLS_PER_UL:g} cells/µL (or < " \
                     f"{bcells.APLASIA_BELOW_PERCENT_OF_LYMPHOCYTES:g} % of lymphocytes)"


@dataclass(frozen=True)
class CarTKinetics:
    """Peak transgene level (copies/µg DNA) and its day, last day detectable, persistence at months 3, 6, 12."""

    peak: float | None
    peak_day: int | None
    last_detectable_day: int | None
    values: list[tuple[int, float]]
    persistence: dict[str, bool | None]
    flow_values: list[tuple[int, float]]
    unit: str = "copies/µg DNA"


@dataclass
class SubjectEfficacy:
    subject_id: int
    subject_key: str
    infusion: date | None
    visits: list[VisitEfficacy] = field(default_factory=list)
    bcell: BCellCourse | None = None
    cart: CarTKinetics | None = None

    def _first(self, outcome: str) -> int | None:
        return next((v.study_day for v in self.visits
                     if v.study_day is not None and v.study_day > 0 and getattr(v, outcome).met), None)

    @property
    def first_doris_day(self) -> int | None:
        """The first post-infusion study day with DORIS remission."""
        return self._first("doris")

    @property
    def first_lldas_day(self) -> int | None:
        """The first post-infusion study day in LLDAS."""
        return self._first("lldas")


def subject_efficacy(session: Session, subject: Subject) -> SubjectEfficacy:
    """One subject's efficacy (as :func:`cohort_efficacy`)."""
    return cohort_efficacy(session, [subject])[subject.id]


def cohort_efficacy(session: Session, subjects: Iterable[Subject]) -> dict[int, SubjectEfficacy]:
    """Each subject's efficacy by subject id, from one statement whatever the number of subjects and visits."""
    subjects = list(subjects)
    if not subjects:
        return {}
    ids = [s.id for s in subjects]
    infusion_event, infusion_item = ANCHOR_ITEMS["infusion"]
    forms: dict[int, dict[tuple[str, int, str, int], dict]] = defaultdict(lambda: defaultdict(dict))
    actual: dict[int, dict[tuple[str, int], date | None]] = defaultdict(dict)
    infusions: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(StudyEventData.subject_id, StudyEventData.event_oid, StudyEventData.repeat_key,
               StudyEventData.actual_date, FormData.form_oid, FormData.repeat_key, ItemData.item_oid,
               ItemData.value)
        .join(StudyEventData.forms).join(FormData.items)
        .where(StudyEventData.subject_id.in_(ids),
               FormData.form_oid.in_((*VISIT_FORMS, KINETICS_FORM, "F.INF")))
    )
    for subject_id, event_oid, event_repeat, actual_date, form_oid, form_repeat, item_oid, value in rows:
        if item_oid == infusion_item and event_oid == infusion_event and value:
            infusions[subject_id].append(value)
            continue
        key = (event_oid, event_repeat, form_oid, form_repeat)
        actual[subject_id][(event_oid, event_repeat)] = actual_date
        if value is not None:
            forms[subject_id][key][item_oid] = value
    out = {}
    for subject in subjects:
        tz = subject.site.zone
        day0 = min((d for d in (codec.local_date(v, tz) for v in infusions[subject.id]) if d), default=None)
        out[subject.id] = _build(subject, day0, tz, forms[subject.id], actual[subject.id])
    return out


def _build(subject: Subject, day0: date | None, tz, forms: dict, actual: dict) -> SubjectEfficacy:
    result = SubjectEfficacy(subject.id, subject.key, day0)
    study = load_study()
    for event in study.events:
        if not any(study.event_has_form(event.oid, f) for f in VISIT_FORMS[:3]):
            continue
        stored = {f: forms.get((event.oid, 1, f, 1), {}) for f in VISIT_FORMS}
        if not any(stored.values()):
            continue
        result.visits.append(read_visit(event, stored, actual.get((event.oid, 1)), day0))
    baseline = next((v for v in result.visits if v.event_oid == BASELINE_EVENT), None)
    previous = None
    for visit in result.visits:
        visit.doris = assess.doris(visit)
        visit.lldas = assess.lldas(visit, previous)
        visit.sri4 = assess.sri4(visit, baseline)
        if visit.sledai is not None:
            previous = visit
    result.bcell, result.cart = _courses(study, day0, tz, [v for (e, _, f, _), v in forms.items()
                                                           if f == KINETICS_FORM])
    return result


def _number(values: dict, oid: str) -> float | None:
    value = codec.decode_decimal(values.get(oid))
    return None if value is None else float(value)


def _courses(study, day0: date | None, tz, samples: list[dict]) -> tuple[BCellCourse, CarTKinetics]:
    bcell_samples, qpcr, flow = [], [], []
    for values in samples:
        on = codec.local_date(values.get("I.CARTPK.DTC"), tz)
        if day0 is None or on is None:
            continue  # a sample is placed on the study-day axis by the infusion date
        day = study_day(on, day0)
        absolute, percent = _number(values, "I.CARTPK.CD19ABS"), _number(values, "I.CARTPK.CD19PCT")
        if absolute is not None or percent is not None:
            bcell_samples.append((day, absolute, percent))
        if (copies := _number(values, "I.CARTPK.QPCR")) is not None:
            qpcr.append((day, copies))
        if (car_pct := _number(values, "I.CARTPK.FLOWPCT")) is not None:
            flow.append((day, car_pct))
    course = bcells.bcell_course(bcell_samples)
    landmarks = {}
    for oid in PERSISTENCE_EVENTS:
        event = study.event(oid)
        if event is not None and event.day is not None:
            landmarks[event.short or oid] = event.day - (event.window_before or 0)
    kinetics = cart_kinetics.kinetics([(d, v) for d, v in qpcr if d >= 0], landmarks)
    bcell = BCellCourse(course.aplasia_day, course.recovery_day, course.duration_days, course.ongoing,
                        sorted((d, a) for d, a, _ in bcell_samples if a is not None),
                        sorted((d, p) for d, _, p in bcell_samples if p is not None))
    cart = CarTKinetics(kinetics.peak, kinetics.peak_day, kinetics.last_detectable_day, sorted(qpcr),
                        kinetics.persistence, sorted(flow))
    return bcell, cart
