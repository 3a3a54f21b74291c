"""The charts as the pages show them: each Drawing as inline SVG with its values as a table (what the chart
says, in numbers: for a reader who needs the exact value, or a screen reader), and the cohort's status rows in
words. Nothing here reads the database; ecrf.charts.series gathered the data.
"""
from __future__ import annotations

from dataclasses import dataclass

from ecrf.charts import draw, svg, swimmer
from ecrf.charts.axes import number
from ecrf.charts.data import CRS, ICANS, Lane, Latest, Status, SubjectCharts


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    svg: str  # one <svg> element, escaped text
    rows: list[tuple[str, str]]  # (study day, value)
    note: str = ""


def subject_figures(charts: SubjectCharts) -> list[Figure]:
    figures = []
    for series, drawing in zip(charts.series, draw.subject_drawings(charts)):
        rows = [(str(p.day), number(p.value)) for p in series.points]
        note = f"Reference: {series.reference.words}." if series.reference else ""
        figures.append(Figure(series.key, series.title, svg.to_svg(drawing, series.title), rows,
                              " ".join(x for x in (note, series.note) if x)))
    return figures


def episode_rows(charts: SubjectCharts) -> list[tuple[str, str, str]]:
    """(CRS | ICANS, 'day 1 to 3', 'grade 2') of each episode."""
    return [(e.kind, f"day {e.start}" if e.start == e.end else f"days {e.start} to {e.end}", f"grade {e.grade}")
            for e in charts.episodes]


def swimmer_svg(lanes: list[Lane]) -> str:
    title = "Swimmer plot: every infused subject from the infusion to the last day with data"
    return svg.to_svg(swimmer.drawing(lanes), title)


def _latest(found: Latest | None, unit: str = "") -> str:
    return f"{number(found.value)}{unit} (day {found.day})" if found else "—"


def _grade(grade: int | None) -> str:
    return "not assessed" if grade is None else "none" if grade == 0 else f"grade {grade}"


@dataclass(frozen=True)
class StatusRow:
    key: str
    cells: tuple[str, ...]


STATUS_COLUMNS = ("Subject", "Site", "Status", "Days since infusion", "Latest SLEDAI-2K", "Latest PGA",
                  "Latest prednisone-equivalent dose", f"Worst {CRS} grade", f"Worst {ICANS} grade",
                  "DORIS remission from day", "LLDAS from day", "B-cell recovery day")


def _day(day: int | None) -> str:
    return "not reached" if day is None else f"day {day}"


def status_rows(statuses: list[Status]) -> list[StatusRow]:
    return [StatusRow(s.key, (s.label, s.site, s.status.replace("_", " "),
                              "not infused" if s.days_since_infusion is None else str(s.days_since_infusion),
                              _latest(s.sledai), _latest(s.pga), _latest(s.prednisone, " mg/day"),
                              _grade(s.worst_crs), _grade(s.worst_icans), _day(s.first_doris), _day(s.first_lldas),
                              _day(s.bcell_recovery)))
            for s in statuses]
