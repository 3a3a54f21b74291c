"""The CRF catalogue (ecrf.study.crfs): complete for the schedule, well-formed, and faithful to the
reference scores.

SLEDAI-2K weights come from the repository's copy docs/reference/domain-data.json; if the file is
missing the SLEDAI test FAILS rather than skips.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ecrf.study.crfs import CODELISTS, FORMS
from ecrf.study.schedule import SCHEDULE
from ecrf.study.types import DataType

REPO_ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DATA = REPO_ROOT / "docs" / "reference" / "domain-data.json"

FORMS_BY_OID = {f.oid: f for f in FORMS}
ALL_ITEMS = [(form, group, item) for form in FORMS for group in form.groups for item in group.items]
SCHEDULE_FORM_OIDS = {ref.form_oid for event in SCHEDULE for ref in event.forms}
WEIGHT_IN_LABEL = re.compile(r"\((\d+) points?\)$")
# Words that would identify a person: subjects are known by code only.
IDENTIFYING = re.compile(r"\bnames?\b|\binitials\b|surname|forename", re.IGNORECASE)


def _domain_data() -> dict:
    if not DOMAIN_DATA.is_file():
        pytest.fail(f"reference data not found at {DOMAIN_DATA} (restore docs/reference/ from git)")
    return json.loads(DOMAIN_DATA.read_text(encoding="utf-8"))


def _form(oid: str):
    assert oid in FORMS_BY_OID, f"{oid} is not defined"
    return FORMS_BY_OID[oid]


def _item(form_oid: str, item_oid: str):
    matches = [i for i in _form(form_oid).items if i.oid == item_oid]
    assert matches, f"{item_oid} is not on {form_oid}"
    return matches[0]


def test_every_schedule_form_is_defined_exactly_once_and_none_is_extra():
    counts = Counter(f.oid for f in FORMS)
    assert [oid for oid, n in counts.items() if n > 1] == []
    assert SCHEDULE_FORM_OIDS - set(counts) == set(), "schedule names forms that are not defined"
    assert set(counts) - SCHEDULE_FORM_OIDS == set(), "forms defined that no study event collects"


def test_oids_are_unique_across_forms_groups_items_and_code_lists():
    oids = [f.oid for f in FORMS] + [g.oid for f in FORMS for g in f.groups] + [i.oid for _, _, i in ALL_ITEMS]
    oids += [c.oid for c in CODELISTS]
    assert [oid for oid, n in Counter(oids).items() if n > 1] == []


def test_one_code_list_per_oid_and_unique_coded_values():
    seen = {}
    for _, _, item in ALL_ITEMS:
        if item.codelist is not None:
            assert seen.setdefault(item.codelist.oid, item.codelist) == item.codelist, item.codelist.oid
    for cl in CODELISTS:
        assert re.fullmatch(r"CL\.[A-Z0-9_]+", cl.oid), cl.oid
        assert cl.items, cl.oid
        assert len(set(cl.values)) == len(cl.values), cl.oid
        assert all(i.label.strip() for i in cl.items), cl.oid


def test_oids_follow_the_naming_rules():
    for form in FORMS:
        code = form.oid.removeprefix("F.")
        assert re.fullmatch(r"F\.[A-Z0-9]+", form.oid), form.oid
        for group in form.groups:
            assert re.fullmatch(rf"IG\.{code}\.[A-Z0-9]+", group.oid), group.oid
            for item in group.items:
                assert re.fullmatch(rf"I\.{code}\.[A-Z0-9_]+", item.oid), item.oid  # SLEDAI/EULAR ids keep "_"


def test_every_range_is_ordered_and_only_on_numbers():
    for _, _, item in ALL_ITEMS:
        if item.min is not None or item.max is not None:
            assert item.data_type in (DataType.INTEGER, DataType.FLOAT), item.oid
        if item.min is not None and item.max is not None:
            assert item.min <= item.max, item.oid


def test_every_number_has_hard_limits_and_every_float_its_decimals():
    for _, _, item in ALL_ITEMS:
        if item.data_type in (DataType.INTEGER, DataType.FLOAT):
            assert item.min is not None and item.max is not None, f"{item.oid} has no hard range"
        if item.data_type is DataType.FLOAT:
            assert item.decimals is not None, f"{item.oid} is a float without decimals"
        assert (item.data_type is DataType.CODELIST) == (item.codelist is not None), item.oid


def test_every_item_has_a_label_and_help():
    for _, _, item in ALL_ITEMS:
        assert item.label.strip(), f"{item.oid} has no label"
        assert len(item.help.strip()) >= 5, f"{item.oid} has no help text"
    for form in FORMS:
        assert form.label.strip(), form.oid
        assert all(g.label.strip() for g in form.groups), form.oid


def test_no_item_asks_for_a_name_or_initials():
    for _, _, item in ALL_ITEMS:
        assert "NAME" not in item.oid and "INITIAL" not in item.oid, item.oid
        assert not IDENTIFYING.search(item.label), f"{item.oid}: {item.label}"
    for cl in CODELISTS:
        assert not any(IDENTIFYING.search(i.label) for i in cl.items), cl.oid


def test_only_planned_dates_may_lie_in_the_future():
    future = {i.oid for _, _, i in ALL_ITEMS if i.allow_future}
    assert future == {"I.PREGREP.EDDAT"}


def test_chemistry_has_at_least_30_items_with_the_ulns_for_in7():
    chem = _form("F.CHEM")
    assert len(chem.items) >= 30
    oids = {i.oid for i in chem.items}
    assert {"I.CHEM.CREAT", "I.CHEM.ALT", "I.CHEM.ALTULN", "I.CHEM.AST", "I.CHEM.ASTULN", "I.CHEM.BILI",
            "I.CHEM.BILIULN"} <= oids
    assert _item("F.CHEM", "I.CHEM.CREAT").units == "µmol/L"
    assert _item("F.CHEM", "I.CHEM.EGFR").calculated == "egfr"


def test_spo2_is_a_percentage_capped_at_100():
    spo2 = _item("F.VS", "I.VS.SPO2")
    assert (spo2.min, spo2.max, spo2.units) == (50, 100, "%")
    for prefix in ("PRE", "POST"):
        assert _item("F.INF", f"I.INF.{prefix}SPO2").max == 100


def test_sledai_has_the_24_reference_descriptors_with_their_weights():
    reference = {d["id"]: d["weight"] for d in _domain_data()["sledai_2k"]["items"]}
    assert len(reference) == 24
    sledai = _form("F.SLEDAI")
    descriptors = [i for i in sledai.items if i.data_type is DataType.BOOLEAN]
    found = {}
    for item in descriptors:
        match = WEIGHT_IN_LABEL.search(item.label)
        assert match, f"{item.oid}: no weight in the label {item.label!r}"
        found[item.oid] = int(match.group(1))
    assert found == {f"I.SLEDAI.{cid.upper()}": w for cid, w in reference.items()}
    assert sum(found.values()) == 105
    total = _item("F.SLEDAI", "I.SLEDAI.TOTAL")
    assert (total.calculated, total.min, total.max) == ("sledai_2k", 0, 105)
    assert _item("F.SLEDAI", "I.SLEDAI.LOOKBACK").codelist.values == ("10", "30")


def test_sledai_and_eular_items_match_the_calculators():
    from ecrf.clinical import eular_acr, sledai

    sledai_items = {i.oid for i in _form("F.SLEDAI").items if i.data_type is DataType.BOOLEAN}
    assert sledai_items == {f"I.SLEDAI.{cid.upper()}" for cid in sledai.WEIGHTS}
    weights = {c.id: c.weight for d in eular_acr.DOMAINS for c in d.items}
    eular = {i.oid: int(WEIGHT_IN_LABEL.search(i.label).group(1))
             for i in _form("F.SLEHX").items if i.data_type is DataType.BOOLEAN and WEIGHT_IN_LABEL.search(i.label)}
    assert eular == {f"I.SLEHX.{cid.upper()}": w for cid, w in weights.items()}


def test_crs_and_icans_code_lists_use_the_calculator_ids():
    from ecrf.clinical import crs, icans

    assert set(_item("F.CRS", "I.CRS.HYPOT").codelist.values) == set(crs.HYPOTENSION_GRADES)
    assert set(_item("F.CRS", "I.CRS.HYPOX").codelist.values) == set(crs.HYPOXIA_GRADES)
    assert set(_item("F.CRS", "I.CRS.O2DEV").codelist.values) == set(crs.OXYGEN_DEVICES)
    assert set(_item("F.ICANS", "I.ICANS.LOC").codelist.values) == set(icans.LOC_GRADES)
    assert set(_item("F.ICANS", "I.ICANS.SEIZ").codelist.values) == set(icans.SEIZURE_GRADES)
    assert set(_item("F.ICANS", "I.ICANS.MOTOR").codelist.values) == set(icans.MOTOR_GRADES)
    assert set(_item("F.ICANS", "I.ICANS.ICP").codelist.values) == set(icans.ICP_GRADES)
    for n in range(1, 9):
        assert _item("F.ICANS", f"I.ICANS.CAPD{n}").codelist.values == icans.CAPD_FREQUENCIES
    ice = {"ICEORIENT": 4, "ICEOBJECTS": 3, "ICECMD": 1, "ICEWRITE": 1, "ICEATTN": 1}
    assert {k: _item("F.ICANS", f"I.ICANS.{k}").max for k in ice} == ice
    assert sum(ice.values()) == 10


def test_the_calculated_items_named_in_the_brief():
    expected = {
        "I.CHEM.EGFR": "egfr", "I.SLEDAI.TOTAL": "sledai_2k", "I.GCIS.GCPREDEQ": "prednisone_equivalent",
        "I.LD.BSA": "bsa", "I.INF.TOTAL": "car_t_total_cells", "I.CRS.GRADE": "crs_grade",
        "I.ICANS.GRADE": "icans_grade", "I.LDDOSE.FLUEXP": "ld_dose_mg", "I.LDDOSE.CYEXP": "ld_dose_mg",
        # issue 12: the CRS levels and fever are facts computed from the components, never a choice
        "I.CRS.FEVER": "crs_fever", "I.CRS.HYPOT": "crs_hypotension", "I.CRS.HYPOX": "crs_hypoxia",
        # issue 12: the AE onset in hours from the infusion, and whether it is in the DLT window
        "I.AE.INFHRS": "ae_hours_from_infusion", "I.AE.DLTWIN": "ae_in_dlt_window",
        "I.SLEDAI.CTOTAL": "clinical_sledai",
    }
    # issue 12: the CAR-T dose record, creatinine in either unit, concomitant glucocorticoids
    expected.update({"I.INF.TARGET": "car_t_target_cells", "I.INF.DEVPCT": "car_t_dose_deviation",
                     "I.CHEM.CREAT": "creatinine_umol", "I.CM.GCPREDEQ": "cm_prednisone_equivalent",
                     "I.CM.GCMGKG": "cm_prednisone_mg_per_kg"})
    # issue 13: each lab result's flag against the laboratory's range in force, and the ULNs IN7 reads from it
    from ecrf.study.crfs.labs import ANALYTES
    expected.update({f"{oid}NRIND": "lab_flag" for oid in ANALYTES})
    expected.update({f"I.CHEM.{t}ULN": "lab_uln" for t in ("ALT", "AST", "BILI")})
    assert {i.oid: i.calculated for _, _, i in ALL_ITEMS if i.calculated} == expected


def test_every_calculated_item_has_a_registered_calculator():
    from ecrf.study.calculators import CALCULATORS

    assert {i.calculated for _, _, i in ALL_ITEMS if i.calculated} <= set(CALCULATORS)


def test_dose_levels_and_pga_scale():
    levels = _item("F.INF", "I.INF.DOSELEVEL").codelist
    assert levels.values == ("1", "2", "3")
    assert [re.search(r"([\d.]+) x10\^5", i.label).group(1) for i in levels.items] == ["1.5", "5", "10"]
    assert _item("F.ENROL", "I.ENROL.DOSELEVEL").codelist == levels
    pga = _item("F.PGA", "I.PGA.SCORE")
    assert (pga.min, pga.max, pga.decimals) == (0, 3, 1)


def test_repeating_logs():
    repeating = {f.oid for f in FORMS if f.repeating}
    assert {"F.IC", "F.AE", "F.CM", "F.PREGREP"} <= repeating


def test_crf_modules_stay_small():
    for path in (REPO_ROOT / "ecrf" / "study" / "crfs").glob("*.py"):
        if path.name != "__init__.py":
            lines = len(path.read_text(encoding="utf-8").splitlines())
            assert 50 <= lines <= 300, f"{path.name} has {lines} lines"
