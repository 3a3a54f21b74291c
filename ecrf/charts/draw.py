"""A subject's measure over study day as a reportlab Drawing, from plain data (ecrf.charts.data): the values as a
line with points, the infusion (day 0) as a dashed line, CRS and ICANS episodes as shaded bands with a strip
above the plot naming each episode's grade, and a laboratory limit as a reference line. The same Drawing is
rendered as SVG on the pages (ecrf.charts.svg) and placed as a flowable in the casebook PDF.
"""
from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors

from ecrf.charts import axes
from ecrf.charts.axes import BOLD, FONT, FRAME, GRID, INFUSION, INK, MUTED, Scale
from ecrf.charts.data import CRS, ICANS, Episode, Series, SubjectCharts

WIDTH, HEIGHT = 510, 170  # points: the casebook's text frame is 510 wide
LEFT, RIGHT, BOTTOM = 46, 14, 30  # the plot box's margins
STRIP = 10  # height of a CRS or ICANS strip above the plot
LINE = colors.HexColor("#1F5A8A")
REFERENCE = colors.HexColor("#3C8D5A")
DAY_AXIS = "Study day (day 0 = CAR-T infusion)"


def subject_drawings(charts: SubjectCharts, width: float = WIDTH, height: float = HEIGHT) -> list[Drawing]:
    """Every series of the subject, over one range of study days, so the charts line up."""
    days = axes.day_range([p.day for s in charts.series for p in s.points]
                          + [d for e in charts.episodes for d in (e.start, e.end)])
    no_day0 = charts.infusion is None
    return [series_drawing(s, charts.episodes, days, width, height, no_day0) for s in charts.series]


def series_drawing(series: Series, episodes: Sequence[Episode] = (), days: tuple[int, int] | None = None,
                   width: float = WIDTH, height: float = HEIGHT, no_infusion: bool = False) -> Drawing:
    """One measure over study day (``days``: the range shown, else from the data)."""
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 11, series.title, fontName=BOLD, fontSize=9.5, fillColor=INK))
    kinds = [k for k in (CRS, ICANS) if any(e.kind == k for e in episodes)]
    top = height - 18 - STRIP * len(kinds) - (4 if kinds else 0)
    days = days or axes.day_range([p.day for p in series.points] + [d for e in episodes for d in (e.start, e.end)])
    values = [p.value for p in series.points] + ([series.reference.value] if series.reference else [])
    if series.log:
        ticks = axes.decade_ticks(values)
    else:
        ticks = axes.value_ticks(series.y_max if series.y_max is not None else max(values, default=1) * 1.05)
    scale = Scale(LEFT, width - RIGHT, BOTTOM, top, (days[0] - 1, days[1] + 1), (ticks[0], ticks[-1]), series.log)
    for e in episodes:  # bands first, under everything
        x0, x1 = scale.x(e.start - 0.5), max(scale.x(e.end + 0.5), scale.x(e.start - 0.5) + 2.5)
        drawing.add(Rect(x0, BOTTOM, x1 - x0, top - BOTTOM, fillColor=axes.BAND[e.kind], strokeColor=None))
    _value_axis(drawing, scale, ticks)
    _day_axis(drawing, scale)
    for n, kind in enumerate(kinds):
        _strip(drawing, scale, [e for e in episodes if e.kind == kind], kind, top + 4 + STRIP * n)
    _infusion(drawing, scale)
    if series.reference:
        _reference(drawing, scale, series)
    if series.points:
        _values(drawing, scale, series)
    else:
        words = "No infusion recorded: study days count from it" if no_infusion else "No values recorded"
        drawing.add(String((LEFT + scale.right) / 2, (BOTTOM + top) / 2, words, fontName=FONT, fontSize=8,
                           fillColor=MUTED, textAnchor="middle"))
    notes = [series.note] if series.note else []
    if series.log and any(p.value < ticks[0] for p in series.points):
        notes.append("open circle: 0 or below the limit, drawn at the floor")
    if notes:
        drawing.add(String(width, height - 11, "; ".join(notes), fontName=FONT, fontSize=6.5, fillColor=MUTED,
                           textAnchor="end"))
    return drawing


def _value_axis(drawing: Drawing, scale: Scale, ticks: list[float]) -> None:
    for tick in ticks:
        y = scale.y(tick)
        drawing.add(Line(scale.left, y, scale.right, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(String(scale.left - 4, y - 2.5, axes.number(tick), fontName=FONT, fontSize=7, fillColor=MUTED,
                           textAnchor="end"))
    drawing.add(Rect(scale.left, scale.bottom, scale.right - scale.left, scale.top - scale.bottom,
                     fillColor=None, strokeColor=FRAME, strokeWidth=0.6))


def _day_axis(drawing: Drawing, scale: Scale) -> None:
    lo, hi = scale.days
    for tick in axes.day_ticks(lo + 1, hi - 1):
        x = scale.x(tick)
        drawing.add(Line(x, scale.bottom, x, scale.bottom - 3, strokeColor=FRAME, strokeWidth=0.6))
        drawing.add(String(x, scale.bottom - 11, str(tick), fontName=FONT, fontSize=7, fillColor=MUTED,
                           textAnchor="middle"))
    drawing.add(String((scale.left + scale.right) / 2, 2, DAY_AXIS, fontName=FONT, fontSize=7, fillColor=MUTED,
                       textAnchor="middle"))


def _infusion(drawing: Drawing, scale: Scale) -> None:
    x = scale.x(0)
    drawing.add(Line(x, scale.bottom, x, scale.top, strokeColor=INFUSION, strokeWidth=0.9,
                     strokeDashArray=[3, 2]))
    drawing.add(String(x + 2, scale.top - 8, "Infusion", fontName=FONT, fontSize=6.5, fillColor=INFUSION))


def _strip(drawing: Drawing, scale: Scale, episodes: list[Episode], kind: str, y: float) -> None:
    """A row naming the episodes of ``kind``: 'CRS' at the left, a box per episode coloured by grade, and the
    grades after each cluster of boxes too close to be labelled apart ('G2, G1'), when there is room."""
    drawing.add(String(scale.left - 4, y + 1.5, kind, fontName=BOLD, fontSize=6.5, fillColor=INK, textAnchor="end"))
    drawing.add(Line(scale.left, y + STRIP / 2 - 0.5, scale.right, y + STRIP / 2 - 0.5, strokeColor=GRID,
                     strokeWidth=0.5))
    clusters: list[tuple[float, list[int]]] = []  # (right edge, grades)
    for e in episodes:
        x0 = scale.x(e.start - 0.5)
        x1 = max(scale.x(e.end + 0.5), x0 + 3)
        drawing.add(Rect(x0, y, x1 - x0, STRIP - 2, fillColor=axes.shade(kind, e.grade), strokeColor=None))
        if clusters and x0 <= clusters[-1][0] + 1.5 + axes.width(_grades(clusters[-1][1]), 6.5) + 3:
            clusters[-1] = (max(x1, clusters[-1][0]), [*clusters[-1][1], e.grade])
        else:
            clusters.append((x1, [e.grade]))
    for right, grades in clusters:
        label = _grades(grades)
        if right + 1.5 + axes.width(label, 6.5) <= scale.right:
            drawing.add(String(right + 1.5, y + 1.5, label, fontName=BOLD, fontSize=6.5, fillColor=INK))


def _grades(grades: list[int]) -> str:
    return ", ".join(f"G{g}" for g in grades)


def _reference(drawing: Drawing, scale: Scale, series: Series) -> None:
    ref = series.reference
    if series.log and ref.value <= 0:
        return
    y = scale.y(ref.value)
    drawing.add(Line(scale.left, y, scale.right, y, strokeColor=REFERENCE, strokeWidth=0.8, strokeDashArray=[4, 2]))
    drawing.add(String(scale.right - 2, y + 2, ref.words, fontName=FONT, fontSize=6.5, fillColor=REFERENCE,
                       textAnchor="end"))


def _values(drawing: Drawing, scale: Scale, series: Series) -> None:
    points = [(scale.x(p.day), scale.y(p.value), p) for p in series.points]
    if len(points) > 1:
        drawing.add(PolyLine([c for x, y, _ in points for c in (x, y)], strokeColor=LINE, strokeWidth=1.2))
    floor = scale.values[0]
    for x, y, p in points:
        below = series.log and p.value < floor  # zero: below the limit of detection, drawn on the floor, open
        drawing.add(Circle(x, y, 2.3, fillColor=colors.white if below else LINE, strokeColor=LINE,
                           strokeWidth=0.8))
    x, y, last = points[-1]
    words = f"{axes.number(last.value)} (day {last.day})"
    right = x + 4 + axes.width(words, 6.5) <= scale.right
    drawing.add(String(x + 4 if right else x - 4, min(y + 3, scale.top - 7), words, fontName=FONT, fontSize=6.5,
                       fillColor=INK, textAnchor="start" if right else "end"))
