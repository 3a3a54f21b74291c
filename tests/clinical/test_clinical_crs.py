"""ASTCT CRS grade."""
from __future__ import annotations

import pytest

from ecrf.clinical.crs import (
    HYPOTENSION_GRADES,
    HYPOXIA_GRADES,
    OXYGEN_DEVICES,
    crs_fever,
    crs_grade,
    hypotension_level,
    hypotension_sbp_limit,
    hypotensive,
    hypoxia_level,
)

ONE_PRESSOR = "one_vasopressor_with_or_without_vasopressin"
MULTI_PRESSOR = "multiple_vasopressors_excluding_vasopressin"
LOW_FLOW = "low_flow_nasal_cannula_le_6L_or_blow_by"
HIGH_FLOW = "high_flow_nasal_cannula_gt_6L_or_facemask_or_nonrebreather_or_venturi"
POSITIVE = "positive_pressure_cpap_bipap_or_mechanical_ventilation"


def test_reference_case(crs_case):
    grade = crs_grade(
        fever=crs_case.get("fever_ge_38C", False),
        antipyretic_or_anticytokine_given=crs_case.get("antipyretic_or_anticytokine_given", False),
        hypotension=crs_case.get("hypotension", "none"),
        hypoxia=crs_case.get("hypoxia", "none"),
        death_due_to_crs=crs_case.get("death_due_to_crs", False),
    )
    assert grade == crs_case["expected_grade"]


@pytest.mark.parametrize(("temperature", "grade"), [(37.9, 0), (37.99, 0), (38.0, 1), (38.01, 1), (40.2, 1)])
def test_fever_threshold_38_0_inclusive(temperature, grade):
    assert crs_grade(temperature_c=temperature) == grade
    assert crs_fever(temperature) is (grade == 1)


@pytest.mark.parametrize("temperature", [38.0, 39.0, 40.5])
def test_fever_attributable_to_another_cause_does_not_count(temperature):
    assert crs_fever(temperature, attributable_to_other_cause=True) is False
    assert crs_grade(temperature_c=temperature, fever_attributable_to_other_cause=True) == 0
    # the case: 39 degC explained by an infection, with hypotension, and no prior fever or treatment: not CRS
    assert crs_grade(temperature_c=temperature, fever_attributable_to_other_cause=True,
                     hypotension="not_requiring_vasopressors") == 0
    # after antipyretic or anticytokine therapy the hypotension grades it, with or without a fever
    assert crs_grade(temperature_c=temperature, fever_attributable_to_other_cause=True,
                     antipyretic_or_anticytokine_given=True, hypotension="not_requiring_vasopressors") == 2


def test_no_tick_overrides_the_measured_temperature():
    # the case: a "fever" tick used to win over the temperature both ways; a fact is given one way only
    with pytest.raises(ValueError, match="not both"):
        crs_grade(fever=False, temperature_c=39.0)
    with pytest.raises(ValueError, match="not both"):
        crs_grade(fever=True, temperature_c=37.0)
    assert crs_grade(temperature_c=39.0) == 1 and crs_grade(temperature_c=37.0) == 0


@pytest.mark.parametrize(("hypotension", "hypoxia", "grade"), [
    ("none", "none", 0),
    ("not_requiring_vasopressors", "none", 2),
    ("none", "low_flow_nasal_cannula_le_6L_or_blow_by", 2),
    ("one_vasopressor_with_or_without_vasopressin", "none", 3),
    ("none", "positive_pressure_cpap_bipap_or_mechanical_ventilation", 4),
])
def test_fever_earlier_in_the_episode_means_fever_is_no_longer_required(hypotension, hypoxia, grade):
    assert crs_grade(temperature_c=37.2, fever_earlier_in_episode=True, hypotension=hypotension,
                     hypoxia=hypoxia) == grade
    assert crs_grade(temperature_c=37.2, hypotension=hypotension, hypoxia=hypoxia) == 0  # no fever ever: not CRS


# Every row of the ASTCT CRS table (domain-reference.md 3a): each grade reached by hypotension alone, by hypoxia
# alone and by both ("and/or"), with the other component at any lower level; fever alone is grade 1.
_BY_GRADE_HYPOT = {g: [k for k, v in HYPOTENSION_GRADES.items() if v == g] for g in range(5)}
_BY_GRADE_HYPOX = {g: [k for k, v in HYPOXIA_GRADES.items() if v == g] for g in range(5)}
TABLE_ROWS = [
    (g, hyt, hyx)
    for g in (2, 3, 4)
    for hyt, hyx in (
        *((t, x) for t in _BY_GRADE_HYPOT[g] for lower in range(g) for x in _BY_GRADE_HYPOX[lower]),
        *((t, x) for x in _BY_GRADE_HYPOX[g] for lower in range(g) for t in _BY_GRADE_HYPOT[lower]),
        *((t, x) for t in _BY_GRADE_HYPOT[g] for x in _BY_GRADE_HYPOX[g]),
    )
]


@pytest.mark.parametrize(("grade", "hypotension", "hypoxia"), TABLE_ROWS)
def test_every_row_of_the_astct_crs_table(grade, hypotension, hypoxia):
    assert crs_grade(temperature_c=38.0, hypotension=hypotension, hypoxia=hypoxia) == grade
    assert crs_grade(temperature_c=37.9, hypotension=hypotension, hypoxia=hypoxia) == 0  # no fever: not CRS


def test_table_rows_cover_grades_1_to_5():
    assert {g for g, _, _ in TABLE_ROWS} == {2, 3, 4}
    assert crs_grade(temperature_c=38.0) == 1  # row 1: fever, no hypotension, no hypoxia
    assert crs_grade(temperature_c=36.5, death_due_to_crs=True) == 5  # row 5


@pytest.mark.parametrize("hypotension", list(HYPOTENSION_GRADES))
@pytest.mark.parametrize("hypoxia", list(HYPOXIA_GRADES))
def test_grade_is_worse_of_hypotension_and_hypoxia(hypotension, hypoxia):
    expected = max(1, HYPOTENSION_GRADES[hypotension], HYPOXIA_GRADES[hypoxia])
    assert crs_grade(fever=True, hypotension=hypotension, hypoxia=hypoxia) == expected


def test_after_anticytokine_fever_not_required():
    assert crs_grade(fever=False, antipyretic_or_anticytokine_given=True, hypoxia=HIGH_FLOW) == 3
    assert crs_grade(temperature_c=37.2, antipyretic_or_anticytokine_given=True, hypotension=MULTI_PRESSOR) == 4
    # nothing left to grade: no hypotension, no hypoxia, fever masked
    assert crs_grade(fever=False, antipyretic_or_anticytokine_given=True) == 0


def test_no_fever_no_therapy_is_not_crs():
    assert crs_grade(fever=False, hypotension=MULTI_PRESSOR, hypoxia=POSITIVE) == 0
    assert crs_grade() == 0


def test_death_is_grade_5():
    assert crs_grade(death_due_to_crs=True) == 5
    assert crs_grade(fever=True, hypotension=MULTI_PRESSOR, death_due_to_crs=True) == 5


@pytest.mark.parametrize(("hypotension", "pressors", "vasopressin", "level", "grade"), [
    (False, 0, False, "none", 1),
    (True, 0, False, "not_requiring_vasopressors", 2),
    (True, 0, True, ONE_PRESSOR, 3),  # vasopressin only -> one vasopressor -> grade 3, not 4
    (True, 1, False, ONE_PRESSOR, 3),
    (True, 1, True, ONE_PRESSOR, 3),  # one vasopressor + vasopressin is still grade 3
    (True, 2, False, MULTI_PRESSOR, 4),
    (True, 2, True, MULTI_PRESSOR, 4),
    (True, 3, False, MULTI_PRESSOR, 4),
])
def test_hypotension_level_from_vasopressors(hypotension, pressors, vasopressin, level, grade):
    assert hypotension_level(hypotension, pressors, vasopressin) == level
    assert crs_grade(temperature_c=38.5, hypotension=level) == grade


@pytest.mark.parametrize(("pressors", "vasopressin"), [(1, False), (2, False), (0, True), (2, True)])
def test_vasopressors_without_hypotension_are_a_contradiction(pressors, vasopressin):
    with pytest.raises(ValueError, match="hypotension is 'no'"):
        hypotension_level(False, pressors, vasopressin)


def test_vasopressin_only_grades_3():
    assert crs_grade(fever=True, hypotension=hypotension_level(True, 0, vasopressin=True)) == 3


@pytest.mark.parametrize(("device", "flow", "level"), [
    ("none", None, "none"),
    ("none", 0, "none"),
    ("nasal_cannula", 0.5, LOW_FLOW),
    ("nasal_cannula", 6, LOW_FLOW),  # exactly 6 L/min is low flow
    ("nasal_cannula", 6.0, LOW_FLOW),
    ("nasal_cannula", 6.01, HIGH_FLOW),
    ("nasal_cannula", 6.1, HIGH_FLOW),
    ("nasal_cannula", 8, HIGH_FLOW),  # the case: 8 L/min is high flow (grade 3), not "low flow"
    ("nasal_cannula", 40, HIGH_FLOW),
    ("blow_by", None, LOW_FLOW),
    ("facemask", None, HIGH_FLOW),
    ("non_rebreather", None, HIGH_FLOW),
    ("venturi", None, HIGH_FLOW),
    ("high_flow_nasal_cannula", None, HIGH_FLOW),
    ("high_flow_nasal_cannula", 2, HIGH_FLOW),  # a high-flow device is high flow whatever the flow
    ("cpap", None, POSITIVE),
    ("bipap", None, POSITIVE),
    ("mechanical_ventilation", None, POSITIVE),
])
def test_hypoxia_level_from_device(device, flow, level):
    assert hypoxia_level(device, flow) == level


def test_every_device_has_a_level():
    assert {hypoxia_level(d, 2) for d in OXYGEN_DEVICES if d != "none"} <= set(HYPOXIA_GRADES)


@pytest.mark.parametrize(("flow", "grade"), [(6.0, 2), (6.1, 3), (8, 3)])
def test_nasal_cannula_flow_boundary_grades(flow, grade):
    assert crs_grade(temperature_c=38.2, hypoxia=hypoxia_level("nasal_cannula", flow)) == grade


# PALS (AHA 2020): hypotension is SBP < 60 in term neonates, < 70 in infants, < 70 + 2 x age (years) from 1 to 10
# years, < 90 from 10 years; adults < 90 (the reference's adaptation)
@pytest.mark.parametrize(("age", "limit"), [(0, 60), (0.05, 60), (0.08, 70), (0.5, 70), (0.99, 70), (1, 72),
                                            (5, 80), (5.9, 80), (7, 84), (9, 88), (9.99, 88), (10, 90),
                                            (11, 90), (17, 90), (45, 90)])
def test_age_appropriate_hypotension_limit(age, limit):
    assert hypotension_sbp_limit(age) == limit


@pytest.mark.parametrize(("sbp", "age", "low"), [(79, 5, True), (80, 5, False), (87, 9, True), (88, 9, False),
                                                 (89, 10, True), (90, 10, False), (89, 40, True), (90, 40, False),
                                                 (71, 1, True), (72, 1, False), (69, 0.5, True), (70, 0.5, False)])
def test_hypotensive_at_each_boundary(sbp, age, low):
    assert hypotensive(sbp, age) is low


@pytest.mark.parametrize(("call", "match"), [
    (lambda: crs_grade(fever=True, hypotension="severe"), "unknown hypotension level"),
    (lambda: crs_grade(fever=True, hypoxia="ecmo"), "unknown hypoxia level"),
    (lambda: crs_grade(fever="yes"), "fever"),
    (lambda: crs_grade(temperature_c=-3), "temperature"),
    (lambda: crs_grade(temperature_c=float("nan")), "temperature"),
    (lambda: crs_grade(fever=True, temperature_c=99.0), "temperature"),  # Fahrenheit by mistake
    (lambda: hypoxia_level("nasal_cannula"), "flow"),
    (lambda: hypoxia_level("nasal_cannula", 0), "flow"),
    (lambda: hypoxia_level("helmet"), "oxygen device"),
    (lambda: hypotension_level(True, -1), "vasopressors"),
    (lambda: hypoxia_level("none", 2), "device is 'none'"),
    (lambda: hypotension_sbp_limit(-1), "age"),
    (lambda: hypotensive(-5, 30), "systolic"),
    (lambda: crs_grade(temperature_c=38.5, fever_attributable_to_other_cause="no"), "another cause"),
])
def test_invalid_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
