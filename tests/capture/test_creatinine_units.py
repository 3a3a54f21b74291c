"""Creatinine entered in mg/dL or µmol/L: the reported value and its unit are kept, the stored I.CHEM.CREAT is
calculated in µmol/L (1 mg/dL = 88.4 µmol/L, domain-data.json creatinine_unit_conversion), so eGFR and exports
read one unit; forms stored before the unit was asked keep their µmol/L value."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import demographics, new_subject, save
from sqlalchemy import select

from ecrf.errors import Invalid
from ecrf.study import calculators
from ecrf.study.definition import load
from ecrf.study.validation import Context

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHEM = {"I.CHEM.DTC": "2026-11-02", "I.CHEM.ALT": "20", "I.CHEM.ALTULN": "40", "I.CHEM.AST": "20",
        "I.CHEM.ASTULN": "40", "I.CHEM.BILI": "8", "I.CHEM.BILIULN": "21", "I.CHEM.CLSIG": "false"}


def _calc(values: dict, facts: dict | None = None) -> dict:
    now = Context(SHANGHAI, datetime.now(timezone.utc))
    out = calculators.calculate(load().form("F.CHEM"), {**CHEM, **values}, facts or {}, now)
    return {oid: c.value for oid, c in out.items()}


def test_the_reference_factor():
    reference = json.loads((Path(__file__).resolve().parents[2] / "docs" / "reference" / "domain-data.json")
                           .read_text(encoding="utf-8"))
    assert reference["formulas"]["creatinine_unit_conversion"]["umol_per_L_per_mg_dL"] == 88.4
    assert _calc({"I.CHEM.CREATORRES": "1.00", "I.CHEM.CREATU": "mg/dL"})["I.CHEM.CREAT"] == "88.4"
    assert _calc({"I.CHEM.CREATORRES": "88.4", "I.CHEM.CREATU": "umol/L"})["I.CHEM.CREAT"] == "88.4"
    assert _calc({"I.CHEM.CREATORRES": "0.57", "I.CHEM.CREATU": "mg/dL"})["I.CHEM.CREAT"] == "50.4"  # 50.388


@pytest.mark.parametrize(("dob", "height"), [("1990-01-01", None), ("2016-03-01", "140")])
def test_egfr_is_the_same_for_the_same_creatinine_in_either_unit(dob, height):
    facts = {"I.DM.SEX": "F", "I.DM.BRTHDAT": dob, "I.HTWT.HEIGHT": height}
    in_mg = _calc({"I.CHEM.CREATORRES": "0.9", "I.CHEM.CREATU": "mg/dL"}, facts)
    in_umol = _calc({"I.CHEM.CREATORRES": "79.56", "I.CHEM.CREATU": "umol/L"}, facts)  # 0.9 x 88.4
    assert in_mg["I.CHEM.EGFR"] == in_umol["I.CHEM.EGFR"] is not None
    assert in_mg["I.CHEM.CREAT"] == "79.6"


def test_a_value_without_its_unit_is_not_converted():
    out = calculators.calculate(load().form("F.CHEM"), {**CHEM, "I.CHEM.CREATORRES": "0.9"}, {},
                                Context(SHANGHAI, datetime.now(timezone.utc)))
    assert out["I.CHEM.CREAT"].value is None and out["I.CHEM.CREAT"].missing == ("I.CHEM.CREATU",)


def test_both_are_kept_and_the_formula_names_the_report(session, world):
    from ecrf.capture.models import ItemData

    subject = new_subject(session)
    demographics(session, subject, "F", "1990-05-05")
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.CREATORRES": "1.00", "I.CHEM.CREATU": "mg/dL"})
    assert {k: form.values[k] for k in ("I.CHEM.CREATORRES", "I.CHEM.CREATU", "I.CHEM.CREAT")} == {
        "I.CHEM.CREATORRES": "1", "I.CHEM.CREATU": "mg/dL", "I.CHEM.CREAT": "88.4"}
    row = session.scalar(select(ItemData).where(ItemData.item_oid == "I.CHEM.CREAT"))
    assert "88.4" in row.formula and "reported 1 mg/dL" in row.formula
    assert form.status == "complete" and form.values["I.CHEM.EGFR"]


@pytest.mark.parametrize(("value", "unit"), [("0.8", "umol/L"), ("80", "mg/dL")])
def test_a_value_in_the_wrong_unit_is_refused_at_the_field(session, world, value, unit):
    subject = new_subject(session)
    with pytest.raises(Invalid) as refused:
        save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.CREATORRES": value, "I.CHEM.CREATU": unit})
    assert "5-2500 µmol/L" in refused.value.errors["I.CHEM.CREATORRES"]


def _legacy_form(session, subject, creatinine: str = "70"):
    """An F.CHEM stored before the unit was asked: I.CHEM.CREAT entered directly, in µmol/L."""
    from ecrf.capture.models import ItemData

    form = save(session, subject, "F.CHEM", CHEM)
    session.add(ItemData(form=form, item_oid="I.CHEM.CREAT", value=creatinine))
    session.commit()
    return form


def test_an_old_form_keeps_its_creatinine_when_saved_again(session, world):
    subject = new_subject(session)
    demographics(session, subject, "F", "1990-05-05")
    form = _legacy_form(session, subject)
    again = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "25"}, reason_code="TRANSCRIPTION")
    assert again.id == form.id
    assert again.values["I.CHEM.CREAT"] == "70" and again.values.get("I.CHEM.CREATORRES") is None
    assert again.values["I.CHEM.EGFR"] == _calc({"I.CHEM.CREATORRES": "70", "I.CHEM.CREATU": "umol/L"},
                                                {"I.DM.SEX": "F", "I.DM.BRTHDAT": "1990-05-05"})["I.CHEM.EGFR"]
    assert again.status == "complete"  # the required creatinine is there


def test_an_old_form_keeps_its_creatinine_when_its_egfr_is_recalculated(session, world):
    subject = new_subject(session)
    demographics(session, subject, "F", "1990-05-05")
    form = _legacy_form(session, subject)
    save(session, subject, "F.DM", {"I.DM.BRTHDAT": "1960-05-05", "I.DM.SEX": "F"}, event_oid="SE.SUBJECT",
         reason_code="TRANSCRIPTION")  # eGFR recomputed from the stored creatinine
    session.refresh(form)
    assert form.values["I.CHEM.CREAT"] == "70"
    assert form.values["I.CHEM.EGFR"] == _calc({"I.CHEM.CREATORRES": "70", "I.CHEM.CREATU": "umol/L"},
                                               {"I.DM.SEX": "F", "I.DM.BRTHDAT": "1960-05-05"})["I.CHEM.EGFR"]


def test_an_old_form_given_a_reported_value_is_converted_from_then_on(session, world):
    subject = new_subject(session)
    _legacy_form(session, subject)
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.CREATORRES": "0.5", "I.CHEM.CREATU": "mg/dL"},
                reason_code="TRANSCRIPTION")
    assert form.values["I.CHEM.CREAT"] == "44.2"
    cleared = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.CREATU": "mg/dL"}, reason_code="TRANSCRIPTION")
    assert cleared.values["I.CHEM.CREAT"] is None and cleared.status == "incomplete"  # no legacy value revived
