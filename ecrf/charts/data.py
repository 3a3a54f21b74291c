"""The plain data a chart is drawn from: no database, no drawing. ecrf.charts.series fills it from stored items;
ecrf.charts.draw draws it; ecrf.efficacy adds its outcome markers to the swimmer lanes (:func:`with_markers`).

Days are study days: the site-local calendar date minus the date of the CAR-T infusion (day 0; the day before is
day -1), as ecrf.visits.planning counts the schedule.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date


@dataclass(frozen=True)
class Point:
    day: int
    value: float


@dataclass(frozen=True)
class Reference:
    """A horizontal line: a laboratory limit ('lower limit of normal 0.90')."""

    value: float
    words: str


@dataclass(frozen=True)
class Series:
    """One measure of one subject over study day."""

    key: str  # "sledai", "c3", ...
    title: str  # with the unit: "Complement C3 (g/L)"
    points: tuple[Point, ...]
    reference: Reference | None = None
    log: bool = False  # a logarithmic value axis (CAR transgene copies span six decades)
    y_max: float | None = None  # a fixed top of the scale (PGA: 3)
    note: str = ""  # what the chart does not show, in words


CRS, ICANS = "CRS", "ICANS"


@dataclass(frozen=True)
class Episode:
    """A run of consecutive CRS or ICANS assessments graded 1 or more: from the first to the last such day."""

    kind: str  # CRS | ICANS
    start: int
    end: int
    grade: int  # the worst of the run


# -- the swimmer plot's markers ---------------------------------------------------------------------------------
# kind -> words of the legend. Episodes (CRS, ICANS) span days; the others mark one day.
GC_STOPPED, GC_RESTARTED = "gc_stopped", "gc_restarted"
IS_STOPPED, IS_RESTARTED = "is_stopped", "is_restarted"
BCELL_RECOVERY, DORIS, LLDAS = "bcell_recovery", "doris", "lldas"  # from ecrf.efficacy
MARKER_KINDS: dict[str, str] = {
    CRS: "CRS episode (grade)",
    ICANS: "ICANS episode (grade)",
    GC_STOPPED: "Glucocorticoid stopped",
    GC_RESTARTED: "Glucocorticoid restarted",
    IS_STOPPED: "Immunosuppressants stopped",
    IS_RESTARTED: "Immunosuppressants restarted",
    BCELL_RECOVERY: "B-cell recovery",
    DORIS: "DORIS remission reached",
    LLDAS: "LLDAS reached",
}


@dataclass(frozen=True)
class Marker:
    """Something that happened to a subject on a study day (``until``: the last day of a span, e.g. an episode)."""

    day: int
    kind: str  # a key of MARKER_KINDS
    label: str = ""  # short words drawn by the marker ("G2")
    until: int | None = None


@dataclass(frozen=True)
class Lane:
    """One subject's line of the swimmer plot: from the infusion (day 0) to the last day with data."""

    subject_id: int
    label: str  # subject number or key
    status: str
    last_day: int
    markers: tuple[Marker, ...] = ()


def with_markers(lanes: Iterable[Lane], extra: Mapping[int, Iterable[Marker]]) -> list[Lane]:
    """``lanes`` with the markers of ``extra`` (by subject id) added, each lane's markers in day order; a lane
    reaches as far as its last marker. This is how outcome markers join the plot, e.g. from ecrf.efficacy:
    ``with_markers(lanes, {sid: [Marker(e.first_doris_day, DORIS, "DORIS")] for sid, e in found.items()})``.
    Markers without a day (None) are left out."""
    out = []
    for lane in lanes:
        added = [m for m in extra.get(lane.subject_id, ()) if m.day is not None]
        markers = tuple(sorted((*lane.markers, *added), key=lambda m: (m.day, m.kind)))
        last = max([lane.last_day, *(m.until if m.until is not None else m.day for m in added)])
        out.append(replace(lane, markers=markers, last_day=last))
    return out


@dataclass(frozen=True)
class Latest:
    """A value and the study day it was measured."""

    value: float
    day: int


@dataclass(frozen=True)
class Status:
    """One subject's row of the cohort's latest status table."""

    subject_id: int
    label: str
    key: str
    site: str
    status: str
    infusion: date | None
    days_since_infusion: int | None
    sledai: Latest | None = None
    pga: Latest | None = None
    prednisone: Latest | None = None
    worst_crs: int | None = None
    worst_icans: int | None = None
    first_doris: int | None = None  # study day DORIS remission was first reached after the infusion
    first_lldas: int | None = None
    bcell_recovery: int | None = None  # study day of B-cell recovery


@dataclass(frozen=True)
class SubjectCharts:
    """Everything drawn for one subject."""

    infusion: date | None
    series: tuple[Series, ...]
    episodes: tuple[Episode, ...]
    markers: tuple[Marker, ...] = field(default=())  # treatment changes (for the subject's lane)
    last_day: int | None = None
    worst: dict[str, int] = field(default_factory=dict)  # CRS/ICANS -> worst grade assessed

    def get(self, key: str) -> Series:
        return next(s for s in self.series if s.key == key)
