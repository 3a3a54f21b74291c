"""The CAR-T dose record: signed percent deviation from the target, and the +/-20 % tolerance at its edges."""
from __future__ import annotations

import pytest

from ecrf.clinical.dosing import DEFAULT_DOSE_TOLERANCE, check_infused_dose, total_cells


@pytest.mark.parametrize(("infused", "deviation", "within"), [
    (12.0e6, 20.0, True), (8.0e6, -20.0, True),              # exactly +/-20 %: within
    (12.001e6, 20.01, False), (7.999e6, -20.01, False),      # 20.01 %: outside
    (10.0e6, 0.0, True), (5.0e6, -50.0, False),
])
def test_deviation_from_target_at_the_tolerance(infused, deviation, within):
    check = check_infused_dose(infused, 10.0e6, DEFAULT_DOSE_TOLERANCE)
    assert check.deviation_pct == pytest.approx(deviation, abs=1e-9) and check.within_tolerance is within


def test_target_is_dose_level_times_weight(cart_dose_case):
    target = total_cells(cart_dose_case["dose_cells_per_kg"], cart_dose_case["weight_kg"])
    low, high = cart_dose_case["acceptable_range"]
    assert check_infused_dose(low, target).within_tolerance and check_infused_dose(high, target).within_tolerance
    assert check_infused_dose(high, target).deviation_pct == pytest.approx(20.0)
