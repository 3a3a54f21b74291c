"""Scales and ticks for the charts: study days on x, values on y (linear or by decades), labels that read well."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

FONT, BOLD = "Helvetica", "Helvetica-Bold"
INK = colors.HexColor("#222222")
MUTED = colors.HexColor("#5A6570")
GRID = colors.HexColor("#E3E7EB")
FRAME = colors.HexColor("#9AA4AE")
INFUSION = colors.HexColor("#7A1F3D")
#: episode colours by grade 1-5 (light to dark): CRS in oranges, ICANS in purples
SHADES = {"CRS": ("#FCE3C4", "#F8C27F", "#EE8B2F", "#C4570D", "#7F3300"),
          "ICANS": ("#E9E1F5", "#CBB7E8", "#9E7FD2", "#6B47AE", "#3E2272")}
#: the light fill of an episode behind a series
BAND = {"CRS": colors.HexColor("#FDF0E0"), "ICANS": colors.HexColor("#F3EEFA")}
#: study-day tick steps to choose from: days, weeks, months, quarters, half-years, years
DAY_STEPS = (1, 2, 7, 14, 28, 30, 60, 90, 180, 365)


def shade(kind: str, grade: int):
    tones = SHADES.get(kind, SHADES["CRS"])
    return colors.HexColor(tones[min(max(grade, 1), 5) - 1])


def width(text: str, size: float, bold: bool = False) -> float:
    return stringWidth(text, BOLD if bold else FONT, size)


def day_range(days: Iterable[int], least: int = 28) -> tuple[int, int]:
    """From the earliest day (never after day 0, down to a tick, so the axis starts labelled) to the latest (at
    least ``least`` days after day 0)."""
    days = list(days)
    lo, hi = min([0, *days]), max([least, *days])
    return math.floor(lo / day_step(lo, hi)) * day_step(lo, hi), hi


def day_step(lo: int, hi: int, most: int = 9) -> int:
    """The smallest step of DAY_STEPS that gives at most ``most`` ticks in [lo, hi]."""
    return next((step for step in DAY_STEPS if (hi - lo) / step + 1 <= most), DAY_STEPS[-1])


def day_ticks(lo: int, hi: int, most: int = 9) -> list[int]:
    """Multiples of :func:`day_step` in [lo, hi] (day 0 is one)."""
    step = day_step(lo, hi, most)
    return list(range(math.ceil(lo / step) * step, hi + 1, step))


def value_ticks(top: float, most: int = 6) -> list[float]:
    """0 and round steps (1, 2, 2.5, 5 x 10^k) up to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / (most - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def decade_ticks(values: Iterable[float]) -> list[float]:
    """Powers of ten around the positive ``values`` (1 to 10 when there are none)."""
    positive = [v for v in values if v > 0]
    lo = math.floor(math.log10(min(positive))) if positive else 0
    hi = math.ceil(math.log10(max(positive))) if positive else 1
    return [10.0 ** k for k in range(lo, max(hi, lo + 1) + 1)]


def number(value: float) -> str:
    """A tick or value label: '0', '0.25', '12', '1,200'; powers of ten past 1,000 as '10k', '1M'."""
    if value >= 10_000 and math.log10(value).is_integer():
        for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if value >= size:
                return f"{value / size:g}{suffix}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 and value else f"{value:.4g}"


@dataclass(frozen=True)
class Scale:
    """Maps study days to x and values to y inside a plot box."""

    left: float
    right: float
    bottom: float
    top: float
    days: tuple[int, int]
    values: tuple[float, float]
    log: bool = False

    def x(self, day: float) -> float:
        lo, hi = self.days
        return self.left + (day - lo) / (hi - lo) * (self.right - self.left)

    def y(self, value: float) -> float:
        lo, hi = self.values
        if self.log:
            floor = lo
            value, lo, hi = math.log10(max(value, floor)), math.log10(floor), math.log10(hi)
        return self.bottom + (value - lo) / (hi - lo) * (self.top - self.bottom)
