"""CAR-T weight-based dose, infused-versus-prescribed check, and lymphodepletion dose from BSA.

Sources: total CAR+ cells = dose level (cells/kg) x body weight (kg); accepted deviation
commonly +/-20 % of target (NCT05909527 "0.5, 1.0, 2.0 x10^6/kg (+/-20%)"; NCT06326021
"5 x10^5 (+/-20%)"). Registered dose levels of NCT07331467: 1.5, 5 and 10 x10^5 cells/kg.
Lymphodepletion drug mg = dose mg/m2 x BSA m2 (Mosteller).
"""
from __future__ import annotations

from dataclasses import dataclass

from ecrf.clinical import _checks

FORMULA_VERSION = "total_cells = dose_cells_per_kg * weight_kg; LD mg = mg_per_m2 * BSA_m2"
DEVIATION_VERSION = "deviation % = (infused - target) / target x 100; target = dose level x weight"
DOSE_LEVELS_CELLS_PER_KG: tuple[float, ...] = (1.5e5, 5e5, 10e5)  # NCT07331467, escalating
DEFAULT_DOSE_TOLERANCE = 0.20  # +/-20 % of target (domain-data.json dose_tolerance_fraction_common)
_REL_EPS = 1e-9  # a deviation exactly at the tolerance is within it despite float rounding


@dataclass(frozen=True)
class DoseCheck:
    """Infused against prescribed total cells: signed deviation in % and whether within tolerance."""

    prescribed_cells: float
    infused_cells: float
    deviation_pct: float
    tolerance_pct: float
    within_tolerance: bool


def total_cells(dose_cells_per_kg: float, weight_kg: float) -> float:
    """Return the total CAR+ cells for a per-kg dose level and body weight (kg)."""
    dose = _checks.positive("dose (cells/kg)", dose_cells_per_kg)
    weight = _checks.positive("weight (kg)", weight_kg)
    return dose * weight


def cells_per_kg(total: float, weight_kg: float) -> float:
    """Return the per-kg dose (cells/kg) of a total number of cells."""
    cells = _checks.non_negative("total cells", total)
    weight = _checks.positive("weight (kg)", weight_kg)
    return cells / weight


def acceptable_range(prescribed_cells: float, tolerance: float = DEFAULT_DOSE_TOLERANCE) -> tuple[float, float]:
    """Return the (lowest, highest) total cells within the tolerance of the prescribed total."""
    prescribed = _checks.positive("prescribed cells", prescribed_cells)
    tol = _checks.in_range("dose tolerance (fraction)", tolerance, 0.0, 1.0)
    return prescribed * (1 - tol), prescribed * (1 + tol)


def check_infused_dose(infused_cells: float, prescribed_cells: float,
                       tolerance: float = DEFAULT_DOSE_TOLERANCE) -> DoseCheck:
    """Compare infused with prescribed total cells; a deviation equal to the tolerance is within it."""
    infused = _checks.non_negative("infused cells", infused_cells)
    prescribed = _checks.positive("prescribed cells", prescribed_cells)
    tol = _checks.in_range("dose tolerance (fraction)", tolerance, 0.0, 1.0)
    deviation = (infused - prescribed) / prescribed
    within = abs(infused - prescribed) <= tol * prescribed * (1 + _REL_EPS)
    return DoseCheck(prescribed, infused, deviation * 100.0, tol * 100.0, within)


def lymphodepletion_dose_mg(dose_mg_per_m2: float, bsa_m2: float) -> float:
    """Return a lymphodepletion drug dose in mg from its mg/m2 dose and the BSA (m2)."""
    dose = _checks.positive("dose (mg/m2)", dose_mg_per_m2)
    bsa = _checks.positive("BSA (m2)", bsa_m2)
    return dose * bsa
