"""CAR-T expansion and persistence from the transgene (qPCR copies/µg DNA) over study day.

Cellular kinetics as reported for CD19 CAR-T products (tisagenlecleucel prescribing information, section 12.3:
Cmax, the peak level; Tmax, the day of the peak; Tlast, the last day with a quantifiable transgene) and as asked by
the protocol brief ("CAR-T expansion (flow cytometry %, qPCR copies/ug DNA)" to day 28, "CAR-T persistence"
afterwards; domain-reference.md section 5). A sample is detectable when its value is above 0 (the CRF asks for 0
below the detection limit). Persistence at a landmark (month 3, 6, 12) is: detected at or after the landmark's
first day (the visit window's start) -> True; samples reached the landmark and none of them was detected -> False;
no sample reached it -> None (not known yet).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ecrf.clinical import _checks

VERSION = "CAR-T kinetics: Cmax, Tmax, Tlast (detectable > 0); persistence = detected from the landmark window"


@dataclass(frozen=True)
class KineticsResult:
    """Peak value and its day (earliest at ties), last day detectable, persistence by landmark name."""

    peak: float | None
    peak_day: int | None
    last_detectable_day: int | None
    persistence: dict[str, bool | None] = field(default_factory=dict)
    version: str = VERSION


def kinetics(samples: Iterable[tuple[int, float]], landmarks: Mapping[str, int] | None = None) -> KineticsResult:
    """From ``(study day, value)`` samples after the infusion; ``landmarks`` maps a name to its first study day."""
    checked = sorted((_checks.integer("study day", day, -100000, 100000),
                      _checks.non_negative("CAR-T level", value)) for day, value in samples)
    detected = [(day, value) for day, value in checked if value > 0]
    peak = max((value for _, value in detected), default=None)
    peak_day = next((day for day, value in detected if value == peak), None)
    last = detected[-1][0] if detected else None
    persistence: dict[str, bool | None] = {}
    for name, start in (landmarks or {}).items():
        if last is not None and last >= start:
            persistence[name] = True
        elif any(day >= start for day, _ in checked):
            persistence[name] = False
        else:
            persistence[name] = None
    return KineticsResult(peak, peak_day, last, persistence)
