"""Glucocorticoid dose as prednisone equivalent (mg/day) and per kg of body weight.

Source: anti-inflammatory equivalent doses, oral/IV (globalrph corticosteroid converter;
formularyproductions table; FDA prednisolone label: 15 mg prednisolone = 75 cortisone =
60 hydrocortisone = 12 methylprednisolone = 12 triamcinolone = 2.25 dexamethasone =
2.25 betamethasone). Prednisone-equivalent mg = dose mg x 5 / equivalent dose mg of the drug.
Dexamethasone and betamethasone are 0.75 mg (some tables print 0.6); pass ``table`` to change.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ecrf.clinical import _checks

FORMULA_VERSION = "prednisone equivalent = dose_mg * 5 / equivalent_dose_mg (dexamethasone 0.75 mg)"
PREDNISONE_REFERENCE_MG = 5.0

# mg of each drug equal to prednisone 5 mg.
EQUIVALENT_DOSE_MG: Mapping[str, float] = MappingProxyType({
    "cortisone": 25.0,
    "hydrocortisone": 20.0,
    "prednisone": 5.0,
    "prednisolone": 5.0,
    "methylprednisolone": 4.0,
    "triamcinolone": 4.0,
    "dexamethasone": 0.75,
    "betamethasone": 0.75,
})

# Inclusion (refractory SLE): prednisone >= 1 mg/kg/day or equivalent for >= 3 months.
HIGH_DOSE_MIN_MG_PER_KG_PER_DAY = 1.0
_DECIMALS = 9  # drops float noise (0.15 * 5 / 0.75) so threshold comparisons are exact


def _drug(drug: str, table: Mapping[str, float]) -> float:
    """Return the equivalent dose (mg) of a drug name, refusing unknown drugs."""
    key = drug.strip().lower() if isinstance(drug, str) else drug
    if key not in table:
        raise ValueError(f"unknown glucocorticoid {drug!r}; expected one of: {', '.join(sorted(table))}")
    return _checks.positive(f"equivalent dose of {key}", table[key])


def prednisone_equivalent_mg(drug: str, dose_mg: float, table: Mapping[str, float] | None = None) -> float:
    """Return the prednisone-equivalent dose (mg) of a glucocorticoid dose (mg)."""
    equivalent = _drug(drug, EQUIVALENT_DOSE_MG if table is None else table)
    dose = _checks.non_negative("glucocorticoid dose (mg)", dose_mg)
    return round(dose * PREDNISONE_REFERENCE_MG / equivalent, _DECIMALS)


def mg_per_kg_per_day(dose_mg_per_day: float, weight_kg: float) -> float:
    """Return a daily dose (mg/day) per kg of body weight."""
    dose = _checks.non_negative("daily dose (mg/day)", dose_mg_per_day)
    weight = _checks.positive("weight (kg)", weight_kg)
    return round(dose / weight, _DECIMALS)


def prednisone_equivalent_mg_per_kg(drug: str, dose_mg_per_day: float, weight_kg: float,
                                    table: Mapping[str, float] | None = None) -> float:
    """Return the prednisone-equivalent dose in mg/kg/day of a daily glucocorticoid dose."""
    return mg_per_kg_per_day(prednisone_equivalent_mg(drug, dose_mg_per_day, table), weight_kg)


def is_high_dose(pred_eq_mg_per_kg_per_day: float,
                 minimum: float = HIGH_DOSE_MIN_MG_PER_KG_PER_DAY) -> bool:
    """Return True if a prednisone-equivalent mg/kg/day meets the high-dose minimum (default >= 1)."""
    return _checks.non_negative("prednisone equivalent (mg/kg/day)", pred_eq_mg_per_kg_per_day) >= minimum


# Administrations per day of the CDISC "Frequency" terms (NCI codelist C71113) a daily dose can be derived
# from; "ONCE" is one administration on its day (a pulse); as-needed and other frequencies give no daily dose.
ADMINISTRATIONS_PER_DAY: Mapping[str, float] = MappingProxyType({
    "ONCE": 1.0, "QD": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0, "QOD": 1 / 2, "QW": 1 / 7, "Q2W": 1 / 14,
    "Q4W": 1 / 28,
})
#: dose units a glucocorticoid dose in mg is derived from, as mg per unit
MG_PER_UNIT: Mapping[str, float] = MappingProxyType({"mg": 1.0, "g": 1000.0, "ug": 0.001})
DAILY_VERSION = f"daily dose = dose x administrations per day (CDISC frequency); {FORMULA_VERSION}"


def daily_dose_mg(dose: float, unit: str, frequency: str) -> float:
    """Return the mean daily dose in mg of a dose per administration (``unit`` mg, g or ug) at a CDISC frequency
    (QD, BID, ... QOD = half a dose a day); refuses units and frequencies with no daily dose (PRN, mg/kg)."""
    per_mg = MG_PER_UNIT.get(unit)
    if per_mg is None:
        raise ValueError(f"a glucocorticoid dose in {unit!r} has no daily dose in mg; expected one of: "
                         f"{', '.join(MG_PER_UNIT)}")
    per_day = ADMINISTRATIONS_PER_DAY.get(frequency)
    if per_day is None:
        raise ValueError(f"frequency {frequency!r} gives no daily dose; expected one of: "
                         f"{', '.join(ADMINISTRATIONS_PER_DAY)}")
    return round(_checks.non_negative("dose per administration", dose) * per_mg * per_day, _DECIMALS)


def prednisone_equivalent_daily_mg(drug: str, dose: float, unit: str, frequency: str,
                                   table: Mapping[str, float] | None = None) -> float:
    """Return the prednisone-equivalent mg/day of a glucocorticoid dose per administration at a frequency."""
    return prednisone_equivalent_mg(drug, daily_dose_mg(dose, unit, frequency), table)
