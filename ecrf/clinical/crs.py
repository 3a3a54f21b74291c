"""ASTCT consensus grade of cytokine release syndrome (CRS), computed from its components.

Source: Lee DW et al. Biol Blood Marrow Transplant 2019;25:625-638 (tables as PMC9327779 t0002,
PMC8021214 Tab1). Fever is a temperature >= 38.0 degC not attributable to another cause; once fever
has been present in the episode, or antipyretics or anticytokine therapy (tocilizumab, steroids)
have been given, fever is no longer required and hypotension and/or hypoxia drive the grade.
Grade = the most severe of hypotension and hypoxia; fever alone is grade 1; death due to CRS is 5.

The levels are facts computed from what was measured, never chosen: the hypotension level from
hypotension (yes/no) and the vasopressors given, the hypoxia level from the oxygen device and flow.

Hypotension thresholds by age. ASTCT gives no number; adults: the common adaptation SBP < 90 mmHg
(PMC8021214, domain-reference.md 3a). Children: the PALS definition of hypotension (American Heart
Association, Pediatric Advanced Life Support provider manual 2020; Topjian AA et al. Circulation
2020;142:S469-S523): SBP < 60 mmHg in term neonates (0-28 days), < 70 mmHg in infants (1-12
months), < 70 + 2 x age in years for 1-10 years, < 90 mmHg from 10 years.
"""
from __future__ import annotations

from ecrf.clinical import _checks

FORMULA_VERSION = "ASTCT CRS 2019 (Lee) from components v2; hypotension PALS 2020 / adult SBP<90"
FEVER_MIN_C = 38.0  # fever: temperature >= 38.0 degC
LOW_FLOW_MAX_L_PER_MIN = 6.0  # nasal cannula <= 6 L/min is low flow; > 6 L/min is high flow
ADULT_SBP_MIN = 90  # hypotension: SBP < 90 mmHg (the reference's adult adaptation; PALS from 10 years)
PALS_OLDEST_CHILD_YEARS = 10  # PALS: 70 + 2 x age up to 10 years, 90 mmHg from 10

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
_HIGH = "high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi"

# Oxygen delivery devices and the hypoxia level each one means (nasal cannula depends on flow).
_DEVICE_LEVEL: dict[str, str] = {
    "none": "none",
    "blow_by": "low_flow_nasal_cannula_le_6L_or_blow_by",
    "facemask": _HIGH,
    "non_rebreather": _HIGH,
    "venturi": _HIGH,
    "high_flow_nasal_cannula": _HIGH,  # a high-flow device is high flow whatever the flow set
    "cpap": "positive_pressure_cpap_bipap_or_mechanical_ventilation",
    "bipap": "positive_pressure_cpap_bipap_or_mechanical_ventilation",
    "mechanical_ventilation": "positive_pressure_cpap_bipap_or_mechanical_ventilation",
}
OXYGEN_DEVICES: tuple[str, ...] = ("nasal_cannula", *_DEVICE_LEVEL)


def crs_fever(temperature_c: float | None, attributable_to_other_cause: bool = False) -> bool:
    """CRS fever: a measured temperature >= 38.0 degC that is not attributable to another cause."""
    _checks.flag("fever attributable to another cause", attributable_to_other_cause)
    if temperature_c is None:
        return False
    temperature = _checks.in_range("temperature (degC)", temperature_c, 25.0, 45.0)
    return temperature >= FEVER_MIN_C and not attributable_to_other_cause


def hypotension_sbp_limit(age_years: float) -> float:
    """The systolic pressure (mmHg) below which a participant of this age is hypotensive (PALS; adults 90)."""
    age = _checks.in_range("age (years)", age_years, 0, 130)
    if age < 28 / 365.25:
        return 60
    if age < 1:
        return 70
    if age < PALS_OLDEST_CHILD_YEARS:
        return 70 + 2 * int(age)  # age in completed years
    return ADULT_SBP_MIN


def hypotensive(systolic_mmhg: float, age_years: float) -> bool:
    """Whether a systolic pressure is below the age-appropriate hypotension limit."""
    return _checks.in_range("systolic blood pressure (mmHg)", systolic_mmhg, 0, 300) < hypotension_sbp_limit(age_years)


def hypotension_level(hypotension: bool, vasopressors_excluding_vasopressin: int = 0,
                      vasopressin: bool = False) -> str:
    """Return the ASTCT hypotension level from hypotension and the vasopressors given (a vasopressor without
    hypotension is a contradiction, refused)."""
    _checks.flag("hypotension", hypotension)
    count = _checks.integer("number of vasopressors (excluding vasopressin)",
                            vasopressors_excluding_vasopressin, 0, 20)
    _checks.flag("vasopressin", vasopressin)
    if not hypotension:
        if count or vasopressin:
            raise ValueError("vasopressors are recorded but hypotension is 'no'")
        return "none"
    if count >= 2:
        return "multiple_vasopressors_excluding_vasopressin"
    if count == 1 or vasopressin:  # vasopressin alone is one vasopressor: grade 3, never 4
        return "one_vasopressor_with_or_without_vasopressin"
    return "not_requiring_vasopressors"


def hypoxia_level(device: str, flow_l_per_min: float | None = None) -> str:
    """Return the ASTCT hypoxia level from the oxygen device (and flow, for a nasal cannula)."""
    _checks.choice("oxygen device", device, OXYGEN_DEVICES)
    if device == "none":
        if flow_l_per_min not in (None, 0):
            raise ValueError("an oxygen flow is recorded but the oxygen device is 'none'")
        return "none"
    if device != "nasal_cannula":
        return _DEVICE_LEVEL[device]
    if flow_l_per_min is None:
        raise ValueError("flow (L/min) is required for a nasal cannula (<= 6 L/min is low flow)")
    flow = _checks.positive("oxygen flow (L/min)", flow_l_per_min)
    if flow <= LOW_FLOW_MAX_L_PER_MIN:
        return "low_flow_nasal_cannula_le_6L_or_blow_by"
    return _HIGH


def crs_grade(*, fever: bool | None = None, temperature_c: float | None = None,
              fever_attributable_to_other_cause: bool = False, antipyretic_or_anticytokine_given: bool = False,
              fever_earlier_in_episode: bool = False, hypotension: str = "none", hypoxia: str = "none",
              death_due_to_crs: bool = False) -> int:
    """Return the ASTCT CRS grade 0-5.

    Fever is either given as the fact ``fever`` (attributable to CRS) or computed from ``temperature_c`` and
    ``fever_attributable_to_other_cause``, never both (a tick cannot override a measured temperature).
    ``fever_earlier_in_episode``: fever was present at an earlier assessment of the episode, or antipyretic
    or anticytokine therapy was given then; like ``antipyretic_or_anticytokine_given`` it means fever is no
    longer required."""
    _checks.flag("antipyretic_or_anticytokine_given", antipyretic_or_anticytokine_given)
    _checks.flag("fever_earlier_in_episode", fever_earlier_in_episode)
    _checks.flag("death_due_to_crs", death_due_to_crs)
    hypotension_grade = HYPOTENSION_GRADES[_checks.choice("hypotension level", hypotension, HYPOTENSION_GRADES)]
    hypoxia_grade = HYPOXIA_GRADES[_checks.choice("hypoxia level", hypoxia, HYPOXIA_GRADES)]
    if fever is not None:
        if temperature_c is not None or fever_attributable_to_other_cause:
            raise ValueError("give the fever or the temperature it is computed from, not both")
        febrile = _checks.flag("fever", fever)
    else:
        febrile = crs_fever(temperature_c, fever_attributable_to_other_cause)
    if death_due_to_crs:
        return 5
    if febrile:
        return max(1, hypotension_grade, hypoxia_grade)
    if antipyretic_or_anticytokine_given or fever_earlier_in_episode:
        return max(hypotension_grade, hypoxia_grade)  # fever masked or resolved: hypotension/hypoxia grade it
    return 0  # no fever and no prior fever or therapy: not CRS (attribute hypotension/hypoxia elsewhere)
