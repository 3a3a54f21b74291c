"""B-cell aplasia and recovery (ecrf.clinical.bcells), CAR-T expansion and persistence (ecrf.clinical.cart_kinetics)."""
from __future__ import annotations

import pytest

from ecrf.clinical import bcells
from ecrf.clinical.bcells import bcell_course, is_aplastic
from ecrf.clinical.cart_kinetics import kinetics

# B cells ------------------------------------------------------------------

@pytest.mark.parametrize(("absolute", "percent", "aplastic"), [
    (9.9, None, True), (10.0, None, False), (10.1, None, False), (0.0, None, True),
    (None, 0.99, True), (None, 1.0, False), (None, 5.0, False),
    (50.0, 0.5, False), (2.0, 8.0, True),  # the absolute count decides when both exist
    (None, None, None),
])
def test_aplasia_threshold_boundaries(absolute, percent, aplastic):
    assert bcells.APLASIA_BELOW_CELLS_PER_UL == 10.0 and bcells.APLASIA_BELOW_PERCENT_OF_LYMPHOCYTES == 1.0
    assert is_aplastic(absolute, percent) is aplastic


def test_aplasia_threshold_is_a_parameter():
    assert is_aplastic(7.0, None, below_cells=5.0) is False
    assert is_aplastic(4.9, None, below_cells=5.0) is True


def test_course_aplasia_then_recovery():
    # screening 180/µL, lymphodepletion lowers it before day 0 (not counted), aplasia from day 7, back on day 110
    samples = [(-30, 180.0, 12.0), (-1, 40.0, None), (1, 12.0, None), (7, 0.0, 0.0), (28, 0.5, None),
               (90, 9.9, None), (110, 10.0, None), (180, 150.0, None)]
    course = bcell_course(samples)
    assert (course.aplasia_day, course.recovery_day, course.duration_days, course.ongoing) == (7, 110, 103, False)


def test_course_ongoing_aplasia_counts_to_the_last_sample_and_unordered_input():
    course = bcell_course([(60, 1.0, None), (3, 2.0, None), (28, None, 0.2)])
    assert (course.aplasia_day, course.recovery_day, course.duration_days, course.ongoing) == (3, None, 57, True)


def test_course_without_aplasia_and_with_samples_before_day_1_only():
    assert bcell_course([(7, 120.0, None), (28, 80.0, None)]).aplasia_day is None
    assert bcell_course([(0, 0.0, None), (-3, 0.0, None)]).aplasia_day is None
    assert bcell_course([]).aplasia_day is None


def test_course_refuses_bad_values():
    with pytest.raises(ValueError, match="CD19"):
        bcell_course([(7, -1.0, None)])
    with pytest.raises(ValueError, match="study day"):
        bcell_course([(7.5, 1.0, None)])


# CAR-T ------------------------------------------------------------------

LANDMARKS = {"M3": 83, "M6": 166, "M12": 351}


def test_peak_day_of_peak_and_last_detectable():
    result = kinetics([(1, 0.0), (7, 12000.0), (10, 45000.0), (14, 45000.0), (28, 800.0), (90, 30.0),
                       (180, 0.0)], LANDMARKS)
    assert (result.peak, result.peak_day, result.last_detectable_day) == (45000.0, 10, 90)
    assert result.persistence == {"M3": True, "M6": False, "M12": None}


def test_persistence_at_the_landmark_boundary():
    assert kinetics([(83, 1.0)], LANDMARKS).persistence["M3"] is True  # detected on the window's first day
    assert kinetics([(82, 1.0), (83, 0.0)], LANDMARKS).persistence["M3"] is False
    assert kinetics([(82, 1.0)], LANDMARKS).persistence["M3"] is None  # no sample reached month 3 yet


def test_never_detected_and_no_samples():
    result = kinetics([(7, 0.0), (28, 0.0)], LANDMARKS)
    assert (result.peak, result.peak_day, result.last_detectable_day) == (None, None, None)
    assert kinetics([]).persistence == {}
    with pytest.raises(ValueError, match="CAR-T level"):
        kinetics([(7, -2.0)])
