"""The cohort's swimmer plot as a reportlab Drawing, from plain lanes (ecrf.charts.data.Lane): one bar per subject
from the infusion (day 0) to the last day with data (an arrow while the subject is still followed), the lane's
markers by kind (CRS and ICANS episodes as spans coloured by grade, with the grade written above when there is
room; treatment changes and outcomes as symbols), and a legend of the kinds drawn.

A kind without a style here is drawn as a small black dot and named by its MARKER_KINDS words, so a new kind is
shown before it has a style.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, Rect, String
from reportlab.lib import colors

from ecrf.charts import axes
from ecrf.charts.axes import BOLD, FONT, FRAME, GRID, INK, MUTED, Scale
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
    MARKER_KINDS,
    Lane,
    Marker,
)
from ecrf.charts.draw import DAY_AXIS

ROW = 26  # points per subject: the bar, a label above and one below
LABELS = 62  # the subject column
BAR = colors.HexColor("#B9C6D2")
STILL_FOLLOWED = frozenset({"infused", "follow_up"})
#: kind -> (shape, colour); spans (CRS, ICANS) take their colour from axes.SHADES by grade
STYLES: dict[str, tuple[str, str]] = {
    GC_STOPPED: ("down", "#2E7D32"),
    GC_RESTARTED: ("up", "#C62828"),
    IS_STOPPED: ("diamond", "#00838F"),
    IS_RESTARTED: ("diamond", "#AD1457"),
    BCELL_RECOVERY: ("circle", "#1565C0"),
    DORIS: ("star", "#B8860B"),
    LLDAS: ("square", "#6A9F3A"),
}
SPANS = (CRS, ICANS)


def _symbol(shape: str, x: float, y: float, color, r: float = 3.6):
    fill = dict(fillColor=colors.HexColor(color) if isinstance(color, str) else color, strokeColor=colors.white,
                strokeWidth=0.5)
    if shape == "circle":
        return Circle(x, y, r * 0.9, **fill)
    if shape == "square":
        return Rect(x - r * 0.8, y - r * 0.8, r * 1.6, r * 1.6, **fill)
    if shape == "diamond":
        return Polygon([x, y + r, x + r, y, x, y - r, x - r, y], **fill)
    if shape == "up":
        return Polygon([x - r, y - r * 0.8, x + r, y - r * 0.8, x, y + r], **fill)
    if shape == "down":
        return Polygon([x - r, y + r * 0.8, x + r, y + r * 0.8, x, y - r], **fill)
    if shape == "star":
        points = []
        for k in range(10):
            radius = r * 1.25 if k % 2 == 0 else r * 0.5
            angle = math.pi / 2 + k * math.pi / 5
            points += [x + radius * math.cos(angle), y + radius * math.sin(angle)]
        return Polygon(points, **fill)
    return Circle(x, y, 2, fillColor=INK, strokeColor=None)


def _legend_symbol(kind: str, x: float, y: float):
    if kind in SPANS:
        return Rect(x - 5, y - 3, 10, 6, fillColor=axes.shade(kind, 2), strokeColor=None)
    shape, color = STYLES.get(kind, ("dot", "#222222"))
    return _symbol(shape, x, y, color)


def drawing(lanes: Sequence[Lane], width: float = 510, title: str = "Swimmer plot: every infused subject") -> Drawing:
    """The swimmer plot of ``lanes`` (in the order given)."""
    kinds = [k for k in MARKER_KINDS if any(m.kind == k for lane in lanes for m in lane.markers)]
    kinds += sorted({m.kind for lane in lanes for m in lane.markers} - set(MARKER_KINDS))
    legend_rows = _legend_rows(kinds, width)
    plot_height = max(1, len(lanes)) * ROW
    height = 20 + plot_height + 28 + 14 * len(legend_rows)
    d = Drawing(width, height)
    d.add(String(0, height - 12, title, fontName=BOLD, fontSize=9.5, fillColor=INK))
    top, bottom = height - 20, height - 20 - plot_height
    last = max([28, *(lane.last_day for lane in lanes), *(m.until or m.day for lane in lanes for m in lane.markers)])
    scale = Scale(LABELS, width - 16, bottom, top, (0, last + max(2, last // 40)), (0, 1))
    for tick in axes.day_ticks(0, last):
        x = scale.x(tick)
        d.add(Line(x, bottom, x, top, strokeColor=GRID, strokeWidth=0.5))
        d.add(String(x, bottom - 10, str(tick), fontName=FONT, fontSize=7, fillColor=MUTED, textAnchor="middle"))
    d.add(Line(scale.left, bottom, scale.right, bottom, strokeColor=FRAME, strokeWidth=0.6))
    d.add(String((scale.left + scale.right) / 2, bottom - 21, DAY_AXIS, fontName=FONT, fontSize=7, fillColor=MUTED,
                 textAnchor="middle"))
    if not lanes:
        d.add(String((scale.left + scale.right) / 2, bottom + ROW / 2 - 3, "No subject has been infused yet",
                     fontName=FONT, fontSize=8, fillColor=MUTED, textAnchor="middle"))
    for n, lane in enumerate(lanes):
        d.add(_lane(lane, scale, top - ROW * n - ROW / 2 - 2))
    y = bottom - 34
    for row in legend_rows:
        x = 0.0
        for kind, words in row:
            d.add(_legend_symbol(kind, x + 6, y + 2.5))
            d.add(String(x + 14, y, words, fontName=FONT, fontSize=7, fillColor=INK))
            x += 14 + axes.width(words, 7) + 14
        y -= 14
    return d


def _legend_rows(kinds: list[str], width: float) -> list[list[tuple[str, str]]]:
    rows, row, used = [], [], 0.0
    for kind in kinds:
        words = MARKER_KINDS.get(kind, kind.replace("_", " "))
        need = 14 + axes.width(words, 7) + 14
        if row and used + need > width:
            rows.append(row)
            row, used = [], 0.0
        row.append((kind, words))
        used += need
    return rows + [row] if row else rows


SYMBOL_GAP = 8  # points between the centres of two symbols of a lane (about twice a symbol's width)


def _lane(lane: Lane, scale: Scale, y: float) -> Group:
    g = Group()
    g.add(String(scale.left - 6, y - 2.5, lane.label, fontName=BOLD, fontSize=7, fillColor=INK, textAnchor="end"))
    x0, x1 = scale.x(0), max(scale.x(lane.last_day), scale.x(0) + 2)
    g.add(Rect(x0, y - 3, x1 - x0, 6, fillColor=BAR, strokeColor=None))
    if lane.status in STILL_FOLLOWED:  # still followed: the bar goes on
        g.add(Polygon([x1, y - 4.5, x1 + 5, y, x1, y + 4.5], fillColor=BAR, strokeColor=None))
    labels: list[tuple[float, float, bool]] = []  # placed labels: (from x, to x, above)
    for m in lane.markers:
        if m.kind in SPANS:
            _span(g, m, scale, y, labels)
    placed: list[float] = []  # x of the symbols drawn: one on the same spot moves along, so none hides another
    for m in lane.markers:
        if m.kind not in SPANS:
            shape, color = STYLES.get(m.kind, ("dot", "#222222"))
            x = scale.x(m.day)
            while any(abs(x - other) < SYMBOL_GAP for other in placed):
                x += SYMBOL_GAP
            placed.append(x)
            g.add(_symbol(shape, x, y, color))
    return g


def _span(g: Group, m: Marker, scale: Scale, y: float, labels: list) -> None:
    """An episode over the bar, its words above the bar or, if that place is taken, below (or left out)."""
    grade = int(m.label[1:]) if m.label[1:].isdigit() else 1
    x0 = scale.x(m.day - 0.5)
    x1 = max(scale.x((m.until if m.until is not None else m.day) + 0.5), x0 + 3)
    g.add(Rect(x0, y - 5, x1 - x0, 10, fillColor=axes.shade(m.kind, grade), strokeColor=colors.white,
               strokeWidth=0.4))
    words = f"{m.kind} {m.label}".strip()
    size = 6
    w = axes.width(words, size)
    for above in (True, False):
        start = max(x0, scale.left)
        if all(start > b + 1 or start + w < a - 1 or up != above for a, b, up in labels):
            labels.append((start, start + w, above))
            g.add(String(start, y + 6 if above else y - 11, words, fontName=FONT, fontSize=size, fillColor=INK))
            return
