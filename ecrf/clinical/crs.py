"""ASTCT consensus grade of cytokine release syndrome (CRS).

Source: Lee DW et al. Biol Blood Marrow Transplant 2019;25:625-638 (tables as PMC9327779 t0002,
PMC8021214 Tab1). Fever >= 38.0 degC not attributable to another cause; once antipyretics or
anticytokine therapy (tocilizumab, steroids) have been given for CRS, fever is no longer
required and hypotension and/or hypoxia drive the grade. Grade = the more severe of hypotension
and hypoxia; fever alone is grade 1; death due to CRS is grade 5.
"""
from __future__ import annotations

from ecrf.clinical import _checks

FORMULA_VERSION = "ASTCT CRS consensus grading (Lee 2019)"
FEVER_MIN_C = 38.0  # fever: temperature >= 38.0 degC
LOW_FLOW_MAX_L_PER_MIN = 6.0  # nasal cannula <= 6 L/min is low flow; > 6 L/min is high flow

HYPOTENSION_GRADES: dict[str, int] = {
    "none": 0,
    "not_requiring_vasopressors": 2,
    "one_vasopressor_with_or_without_vasopressin": 3,
    "multiple_vasopressors_excluding_vasopressin": 4,
}
HYPOXIA_GRADES: dict[str, int] = {
    "none": 0,
    "low_flow_nasal_cannula_le_6L_or_blow_by": 2,
    "high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi": 3,
    "positive_pressure_cpap_bipap_or_mechanical_ventilation": 4,
}

# Oxygen delivery devices and the hypoxia level each one means (nasal cannula depends on flow).
_DEVICE_LEVEL: dict[str, str] = {
    "none": "none",
    "blow_by": "low_flow_nasal_cannula_le_6L_or_blow_by",
    "facemask": "high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi",
    "non_rebreather": "high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi",
    "venturi": "high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi",
    "cpap": "positive_pressure_cpap_bipap_or_mechanical_ventilation",
    "bipap": "positive_pressure_cpap_bipap_or_mechanical_ventilation",
    "mechanical_ventilation": "positive_pressure_cpap_bipap_or_mechanical_ventilation",
}
OXYGEN_DEVICES: tuple[str, ...] = ("nasal_cannula", *_DEVICE_LEVEL)


def hypotension_level(hypotension: bool, vasopressors_excluding_vasopressin: int = 0,
                      vasopressin: bool = False) -> str:
    """Return the ASTCT hypotension level from hypotension and the vasopressors given."""
    _checks.flag("hypotension", hypotension)
    count = _checks.integer("number of vasopressors (excluding vasopressin)",
                            vasopressors_excluding_vasopressin, 0, 20)
    _checks.flag("vasopressin", vasopressin)
    if count >= 2:
        return "multiple_vasopressors_excluding_vasopressin"
    if count == 1 or vasopressin:  # vasopressin alone is one vasopressor: grade 3, never 4
        return "one_vasopressor_with_or_without_vasopressin"
    return "not_requiring_vasopressors" if hypotension else "none"


def hypoxia_level(device: str, flow_l_per_min: float | None = None) -> str:
    """Return the ASTCT hypoxia level from the oxygen device (and flow, for a nasal cannula)."""
    _checks.choice("oxygen device", device, OXYGEN_DEVICES)
    if device != "nasal_cannula":
        return _DEVICE_LEVEL[device]
    if flow_l_per_min is None:
        raise ValueError("flow (L/min) is required for a nasal cannula (<= 6 L/min is low flow)")
    flow = _checks.positive("oxygen flow (L/min)", flow_l_per_min)
    if flow <= LOW_FLOW_MAX_L_PER_MIN:
        return "low_flow_nasal_cannula_le_6L_or_blow_by"
    return "high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi"


def crs_grade(*, fever: bool | None = None, temperature_c: float | None = None,
              antipyretic_or_anticytokine_given: bool = False, hypotension: str = "none",
              hypoxia: str = "none", death_due_to_crs: bool = False) -> int:
    """Return the ASTCT CRS grade 0-5; ``fever`` (attributed to CRS) wins over ``temperature_c``."""
    _checks.flag("antipyretic_or_anticytokine_given", antipyretic_or_anticytokine_given)
    _checks.flag("death_due_to_crs", death_due_to_crs)
    hypotension_grade = HYPOTENSION_GRADES[_checks.choice("hypotension level", hypotension, HYPOTENSION_GRADES)]
    hypoxia_grade = HYPOXIA_GRADES[_checks.choice("hypoxia level", hypoxia, HYPOXIA_GRADES)]
    temperature = None if temperature_c is None else _checks.in_range("temperature (degC)", temperature_c, 25.0, 45.0)
    if fever is not None:
        febrile = _checks.flag("fever", fever)
    else:
        febrile = temperature is not None and temperature >= FEVER_MIN_C
    if death_due_to_crs:
        return 5
    if febrile:
        return max(1, hypotension_grade, hypoxia_grade)
    if antipyretic_or_anticytokine_given:
        return max(hypotension_grade, hypoxia_grade)  # fever masked: graded on hypotension/hypoxia only
    return 0  # no fever and no prior therapy: not CRS (attribute hypotension/hypoxia elsewhere)
