"""What the charts show, gathered from stored items: each subject's measures over study day, their CRS and ICANS
episodes and treatment changes, and the cohort's swimmer lanes and latest status.

* ``read_rows(session, subjects, role) -> {subject id: [FormRow]}``: the stored forms the charts read, for any
  number of subjects in one statement, values masked for ``role``.
* ``record_rows(rec) -> [FormRow]``: the same from a casebook record (ecrf.casebook.record), no statement.
* ``subject_charts(rows, tz) -> SubjectCharts``: pure, from the rows.
* ``for_subject(session, subject, role)``, ``cohort(session, subjects, role, today)``: the pages' data.

The measures, their forms, date items and limits are listed once in :data:`MEASURES`; titles and units come from
the study definition. A form's day is the site-local date of its own date item (the sample, the assessment),
else its visit's date.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.casebook.record import Record
from ecrf.charts.data import (
    BCELL_RECOVERY,
    CRS,
    DORIS,
    GC_RESTARTED,
    GC_STOPPED,
    ICANS,
    IS_RESTARTED,
    IS_STOPPED,
    LLDAS,
    Episode,
    Lane,
    Latest,
    Marker,
    Point,
    Reference,
    Series,
    Status,
    SubjectCharts,
    with_markers,
)
from ecrf.efficacy.timeline import SubjectEfficacy, cohort_efficacy
from ecrf.study import masking
from ecrf.study.clock import today_at
from ecrf.study.codec import decode_decimal, local_date
from ecrf.study.definition import load as load_study
from ecrf.study.schedule import INFUSION_START, study_day
from ecrf.subjects.models import Subject


@dataclass(frozen=True)
class Measure:
    key: str
    form_oid: str
    item_oid: str
    title: str | None = None  # default: the item's label
    limit_oid: str | None = None  # the laboratory's limit recorded with the value (a reference line)
    limit_words: str = ""
    unit_oid: str | None = None  # an item naming the unit of each value (anti-dsDNA)
    log: bool = False
    y_max: float | None = None


MEASURES: tuple[Measure, ...] = (
    Measure("sledai", "F.SLEDAI", "I.SLEDAI.TOTAL"),
    Measure("pga", "F.PGA", "I.PGA.SCORE", "Physician global assessment (0-3)", y_max=3),
    Measure("prednisone", "F.GCIS", "I.GCIS.GCPREDEQ", "Prednisone-equivalent glucocorticoid dose"),
    Measure("dsdna", "F.IMMUNO", "I.IMMUNO.DSDNA", limit_oid="I.IMMUNO.DSDNAULN", limit_words="upper limit of normal",
            unit_oid="I.IMMUNO.DSDNAU"),
    Measure("c3", "F.IMMUNO", "I.IMMUNO.C3", limit_oid="I.IMMUNO.C3LLN", limit_words="lower limit of normal"),
    Measure("c4", "F.IMMUNO", "I.IMMUNO.C4", limit_oid="I.IMMUNO.C4LLN", limit_words="lower limit of normal"),
    Measure("upcr", "F.UA", "I.UA.UPCR"),
    Measure("cd19", "F.CARTPK", "I.CARTPK.CD19ABS"),
    Measure("car_qpcr", "F.CARTPK", "I.CARTPK.QPCR", "CAR-T expansion: CAR transgene by qPCR", log=True),
    Measure("car_flow", "F.CARTPK", "I.CARTPK.FLOWABS", "CAR-T expansion: CAR+ T cells by flow cytometry"),
)
#: the item that dates each form read here
DATE_ITEMS = {"F.SLEDAI": "I.SLEDAI.DAT", "F.PGA": "I.PGA.DAT", "F.GCIS": "I.GCIS.DAT", "F.IMMUNO": "I.IMMUNO.DTC",
              "F.UA": "I.UA.DTC", "F.CARTPK": "I.CARTPK.DTC", "F.CRS": "I.CRS.DTC", "F.ICANS": "I.ICANS.DTC",
              "F.INF": "I.INF.STDTC"}
GRADES = {CRS: ("F.CRS", "I.CRS.GRADE"), ICANS: ("F.ICANS", "I.ICANS.GRADE")}
GC_TAKEN, IS_TAKEN = "I.GCIS.GCYN", "I.GCIS.ISYN"
ITEMS = frozenset({*DATE_ITEMS.values(), *(m.item_oid for m in MEASURES),
                   *(m.limit_oid for m in MEASURES if m.limit_oid), *(m.unit_oid for m in MEASURES if m.unit_oid),
                   *(g for _, g in GRADES.values()), GC_TAKEN, IS_TAKEN})
FORMS = frozenset(DATE_ITEMS)


@dataclass(frozen=True)
class FormRow:
    """One stored form instance the charts read: its visit's date and its values (as the reader may see them)."""

    form_oid: str
    visit_date: date | None
    values: dict[str, str]


# -- reading ----------------------------------------------------------------------------------------------------

def read_rows(session: Session, subjects: Sequence[Subject], role: str) -> dict[int, list[FormRow]]:
    """The stored forms the charts read for ``subjects``, in one statement whatever their number or visits."""
    ids = [s.id for s in subjects]
    if not ids:
        return {}
    items = load_study().items
    forms: dict[int, tuple[int, str, date | None, dict]] = {}
    for subject_id, visit_date, form_id, form_oid, item_oid, value in session.execute(
        select(StudyEventData.subject_id, StudyEventData.actual_date, FormData.id, FormData.form_oid,
               ItemData.item_oid, ItemData.value)
        .join(StudyEventData.forms).join(FormData.items)
        .where(StudyEventData.subject_id.in_(ids), FormData.form_oid.in_(FORMS), ItemData.item_oid.in_(ITEMS),
               ItemData.value.is_not(None))
        .order_by(FormData.id)
    ):
        shown = masking.masked(items[item_oid], value, role) if item_oid in items else None
        entry = forms.setdefault(form_id, (subject_id, form_oid, visit_date, {}))
        if shown is not None and shown != masking.WITHHELD:
            entry[3][item_oid] = shown
    out: dict[int, list[FormRow]] = defaultdict(list)
    for subject_id, form_oid, visit_date, values in forms.values():
        out[subject_id].append(FormRow(form_oid, visit_date, values))
    return out


def record_rows(rec: Record) -> list[FormRow]:
    """The same forms from a casebook record (values already masked for the record's role)."""
    rows = []
    for event, form in rec.forms():
        if form.data is None or form.definition.oid not in FORMS:
            continue
        values = {i.definition.oid: i.value for i in form.items
                  if i.definition.oid in ITEMS and i.value is not None and i.value != masking.WITHHELD}
        rows.append(FormRow(form.definition.oid, event.data.actual_date if event.data else None, values))
    return rows


# -- one subject ------------------------------------------------------------------------------------------------

def _number(value: str | None) -> float | None:
    number = decode_decimal(value)
    return float(number) if isinstance(number, Decimal) else None


def _moment(row: FormRow, tz: ZoneInfo) -> tuple[date | None, str]:
    """(the site-local date of the form, a sort key within the day: the stored date-time)."""
    stored = row.values.get(DATE_ITEMS[row.form_oid])
    return (local_date(stored, tz) if stored else None) or row.visit_date, stored or ""


def infusion_date(rows: Iterable[FormRow], tz: ZoneInfo) -> date | None:
    """Day 0: the site-local date of the first recorded infusion start."""
    days = [local_date(r.values.get(INFUSION_START), tz) for r in rows if r.form_oid == "F.INF"]
    return min((d for d in days if d), default=None)


def _title(measure: Measure, unit: str | None = None) -> str:
    item = load_study().items[measure.item_oid]
    unit = unit or item.units
    return f"{measure.title or item.label} ({unit})" if unit else measure.title or item.label


def _series(measure: Measure, dated: list[tuple[int, str, FormRow]]) -> Series:
    found = []  # (day, value, limit, unit)
    for day, _, row in dated:
        if row.form_oid != measure.form_oid:
            continue
        value = _number(row.values.get(measure.item_oid))
        if value is None and measure.key == "prednisone" and row.values.get(GC_TAKEN) == "false":
            value = 0.0  # no systemic glucocorticoid: 0 mg/day prednisone-equivalent
        if value is None:
            continue
        found.append((day, value, _number(row.values.get(measure.limit_oid)) if measure.limit_oid else None,
                      row.values.get(measure.unit_oid) if measure.unit_oid else None))
    note, unit_words = "", None
    if measure.unit_oid and found:
        units = Counter(u for *_, u in found)
        unit = max(units, key=lambda u: (units[u], max(d for d, *_, x in found if x == u)))
        left = len(found) - units[unit]
        found = [f for f in found if f[3] == unit]
        codes = load_study().items[measure.unit_oid].codelist
        unit_words = (codes.label(unit) if codes else None) or unit
        if left:
            note = f"{left} value{'s' if left > 1 else ''} in another unit not shown"
    limits = [lim for *_, lim, _ in found if lim is not None]
    reference = Reference(limits[-1], f"{measure.limit_words} {limits[-1]:g}") if limits else None
    return Series(measure.key, _title(measure, unit_words), tuple(Point(d, v) for d, v, *_ in found), reference,
                  measure.log, measure.y_max, note)


def _episodes(kind: str, dated: list[tuple[int, str, FormRow]]) -> tuple[list[Episode], int | None]:
    """The runs of consecutive assessments graded 1 or more (a grade-0 assessment ends a run), and the worst
    grade assessed."""
    form_oid, grade_oid = GRADES[kind]
    graded = [(day, int(g)) for day, _, r in dated if r.form_oid == form_oid
              if (g := _number(r.values.get(grade_oid))) is not None]
    episodes, run = [], []
    for day, grade in [*graded, (None, 0)]:
        if grade >= 1:
            run.append((day, grade))
        elif run:
            episodes.append(Episode(kind, run[0][0], run[-1][0], max(g for _, g in run)))
            run = []
    return episodes, max((g for _, g in graded), default=None)


def _changes(dated: list[tuple[int, str, FormRow]]) -> list[Marker]:
    """Glucocorticoid and immunosuppressant stops and restarts on the day of the first assessment (F.GCIS) that
    found the treatment changed since the one before, on or after the infusion."""
    out = []
    for oid, stopped, restarted in ((GC_TAKEN, GC_STOPPED, GC_RESTARTED), (IS_TAKEN, IS_STOPPED, IS_RESTARTED)):
        before = None
        for day, _, row in dated:
            taking = row.values.get(oid) if row.form_oid == "F.GCIS" else None
            if taking not in ("true", "false"):
                continue
            if before is not None and taking != before and day >= 0:
                out.append(Marker(day, stopped if taking == "false" else restarted,
                                  "stopped" if taking == "false" else "restarted"))
            before = taking
    return out


def subject_charts(rows: Sequence[FormRow], tz: ZoneInfo) -> SubjectCharts:
    """A subject's series, episodes and treatment changes over study day (nothing dated before an infusion is
    recorded: study days count from it)."""
    zero = infusion_date(rows, tz)
    dated = []
    if zero is not None:
        for row in rows:
            on, key = _moment(row, tz)
            if on is not None:
                dated.append((study_day(on, zero), key, row))
        dated.sort(key=lambda d: (d[0], d[1]))
    episodes, worst = [], {}
    for kind in (CRS, ICANS):
        found, grade = _episodes(kind, dated)
        episodes += found
        if grade is not None:
            worst[kind] = grade
    last = max((d for d, _, _ in dated), default=None)
    return SubjectCharts(zero, tuple(_series(m, dated) for m in MEASURES), tuple(episodes),
                         tuple(_changes(dated)), last, worst)


def for_subject(session: Session, subject: Subject, role: str) -> SubjectCharts:
    """The subject page's charts: one statement for the values (besides the subject and its site)."""
    return subject_charts(read_rows(session, [subject], role).get(subject.id, []), subject.site.zone)


def for_record(rec: Record) -> SubjectCharts:
    """The casebook's charts, from its record."""
    return subject_charts(record_rows(rec), rec.tz)


# -- the cohort -------------------------------------------------------------------------------------------------

def lane(subject: Subject, charts: SubjectCharts) -> Lane | None:
    """The subject's swimmer lane (None before an infusion is recorded): CRS and ICANS episodes with their worst
    grade, and the treatment changes."""
    if charts.infusion is None:
        return None
    markers = [Marker(e.start, e.kind, f"G{e.grade}", e.end) for e in charts.episodes]
    markers += charts.markers
    last = max(0, charts.last_day or 0)
    return Lane(subject.id, subject.label, subject.status, last,
                tuple(sorted(markers, key=lambda m: (m.day, m.kind))))


def _latest(series: Series) -> Latest | None:
    return Latest(series.points[-1].value, series.points[-1].day) if series.points else None


def status(subject: Subject, charts: SubjectCharts, today: date, efficacy: SubjectEfficacy | None = None) -> Status:
    since = (today - charts.infusion).days if charts.infusion else None
    return Status(subject.id, subject.label, subject.key, subject.site.code, subject.status, charts.infusion, since,
                  _latest(charts.get("sledai")), _latest(charts.get("pga")), _latest(charts.get("prednisone")),
                  charts.worst.get(CRS), charts.worst.get(ICANS),
                  first_doris=efficacy.first_doris_day if efficacy else None,
                  first_lldas=efficacy.first_lldas_day if efficacy else None,
                  bcell_recovery=efficacy.bcell.recovery_day if efficacy and efficacy.bcell else None)


def outcome_markers(efficacy: SubjectEfficacy) -> list[Marker]:
    """The swimmer markers of a subject's outcomes (ecrf.efficacy): DORIS remission and LLDAS first reached after
    the infusion, B-cell recovery."""
    recovery = efficacy.bcell.recovery_day if efficacy.bcell else None
    return [Marker(efficacy.first_doris_day, DORIS, "DORIS"), Marker(efficacy.first_lldas_day, LLDAS, "LLDAS"),
            Marker(recovery, BCELL_RECOVERY, "B cells")]


@dataclass(frozen=True)
class Cohort:
    lanes: list[Lane]  # infused subjects, by subject
    statuses: list[Status]  # every subject


def cohort(session: Session, subjects: Sequence[Subject], role: str, now: datetime | None = None) -> Cohort:
    """The swimmer lanes and latest status of ``subjects`` (their sites loaded with them), from one statement.
    ``today`` is each site's date at ``now``."""
    rows = read_rows(session, subjects, role)
    efficacy = cohort_efficacy(session, subjects)  # one statement more
    lanes, statuses = [], []
    for subject in subjects:
        tz = subject.site.zone
        charts = subject_charts(rows.get(subject.id, []), tz)
        statuses.append(status(subject, charts, today_at(tz, now), efficacy.get(subject.id)))
        if (found := lane(subject, charts)) is not None:
            lanes.append(found)
    return Cohort(with_markers(lanes, {sid: outcome_markers(e) for sid, e in efficacy.items()}), statuses)
