"""ASTCT CRS grade."""
from __future__ import annotations

import pytest

from ecrf.clinical.crs import HYPOTENSION_GRADES, HYPOXIA_GRADES, crs_grade, hypotension_level, hypoxia_level

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


def test_fever_flag_takes_precedence_over_temperature():
    # fever=False: the investigator attributes the temperature to another cause (e.g. infection)
    assert crs_grade(fever=False, temperature_c=39.0) == 0
    assert crs_grade(fever=True, temperature_c=37.0) == 1


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


@pytest.mark.parametrize(("hypotension", "pressors", "vasopressin", "level"), [
    (False, 0, False, "none"),
    (True, 0, False, "not_requiring_vasopressors"),
    (True, 0, True, ONE_PRESSOR),  # vasopressin only -> one vasopressor -> grade 3, not 4
    (True, 1, False, ONE_PRESSOR),
    (True, 1, True, ONE_PRESSOR),  # one vasopressor + vasopressin is still grade 3
    (True, 2, False, MULTI_PRESSOR),
    (True, 2, True, MULTI_PRESSOR),
    (True, 3, False, MULTI_PRESSOR),
])
def test_hypotension_level_from_vasopressors(hypotension, pressors, vasopressin, level):
    assert hypotension_level(hypotension, pressors, vasopressin) == level


def test_vasopressin_only_grades_3():
    assert crs_grade(fever=True, hypotension=hypotension_level(True, 0, vasopressin=True)) == 3


@pytest.mark.parametrize(("device", "flow", "level"), [
    ("none", None, "none"),
    ("nasal_cannula", 0.5, LOW_FLOW),
    ("nasal_cannula", 6, LOW_FLOW),  # exactly 6 L/min is low flow
    ("nasal_cannula", 6.01, HIGH_FLOW),
    ("nasal_cannula", 40, HIGH_FLOW),
    ("blow_by", None, LOW_FLOW),
    ("facemask", None, HIGH_FLOW),
    ("non_rebreather", None, HIGH_FLOW),
    ("venturi", None, HIGH_FLOW),
    ("cpap", None, POSITIVE),
    ("bipap", None, POSITIVE),
    ("mechanical_ventilation", None, POSITIVE),
])
def test_hypoxia_level_from_device(device, flow, level):
    assert hypoxia_level(device, flow) == level


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
])
def test_invalid_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
