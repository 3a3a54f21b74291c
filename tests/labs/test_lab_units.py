"""The declared unit conversions: one home for every factor, creatinine's included; each declared standard unit
is the CRF item's unit (so a stored result and a range's converted limits are in the same unit)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from ecrf.clinical import lab_units, renal
from ecrf.study.crfs.labs import ANALYTES


@pytest.mark.parametrize(("analyte", "value", "unit", "expected"), [
    ("CREAT", "1", "mg/dL", "88.4"), ("BILI", "1.2", "mg/dL", "20.52"), ("HGB", "12.5", "g/dL", "125"),
    ("GLUC", "100", "mg/dL", "5.55"), ("PLAT", "250000", "/µL", "250"), ("NEUT", "1500", "/µL", "1.5"),
    ("CREAT", "70", "µmol/L", "70"),
])
def test_declared_factors(analyte, value, unit, expected):
    assert lab_units.to_standard(analyte, D(value), unit) == D(expected)


def test_an_undeclared_unit_is_refused():
    with pytest.raises(ValueError, match="not declared"):
        lab_units.to_standard("CREAT", D("1"), "mmol/L")


def test_creatinine_reads_its_factor_from_the_one_home():
    assert renal.UMOL_PER_L_PER_MG_DL == float(lab_units.CONVERSIONS["CREAT"].factor("mg/dL")) == 88.4


def test_every_declared_standard_unit_is_its_crf_items_unit():
    by_code = {}
    for item in ANALYTES.values():
        if item.sdtm in lab_units.CONVERSIONS and lab_units.conversion(item.sdtm, item.units).factors:
            by_code.setdefault(item.sdtm, set()).add(item.units)
    assert by_code, "no lab item has declared conversions"
    for code, units in by_code.items():
        assert units == {lab_units.CONVERSIONS[code].standard}, code
    assert set(by_code) >= {"CREAT", "BILI", "HGB", "PLAT", "NEUT", "GLUC"}


def test_a_code_shared_by_urine_and_blood_converts_only_the_blood_item():
    urine_rbc = ANALYTES["I.UA.RBC"]
    assert lab_units.conversion(urine_rbc.sdtm, urine_rbc.units).units == ("/HPF",)
    assert "x10^6/µL" in lab_units.conversion("RBC", ANALYTES["I.HEM.RBC"].units).units
