"""The calculators' built-in tables match docs/reference/domain-data.json, and the JSON is required."""
from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecrf.clinical import body, crs, dosing, eular_acr, icans, outcomes, renal, sledai, steroids


def test_sledai_descriptors_match_reference(reference):
    ref = reference["sledai_2k"]
    got = [(d.number, d.id, d.label, d.system, d.weight, d.laboratory) for d in sledai.DESCRIPTORS]
    want = [(i["number"], i["id"], i["name"], i["system"], i["weight"], i["laboratory_item"]) for i in ref["items"]]
    assert got == want
    assert len(sledai.DESCRIPTORS) == ref["n_items"] == 24
    assert sum(d.laboratory for d in sledai.DESCRIPTORS) == ref["n_laboratory_items"]
    assert sum(not d.laboratory for d in sledai.DESCRIPTORS) == ref["n_clinical_items"]
    assert sledai.MAX_TOTAL == ref["score_range"][1] == 105
    counts = {}
    for d in sledai.DESCRIPTORS:
        counts[str(d.weight)] = counts.get(str(d.weight), 0) + 1
    assert counts == ref["weight_counts"]
    serology = {i["id"] for i in ref["items"] if i.get("serology_item_excluded_from_clinical_sledai")}
    assert sledai.SEROLOGY_IDS == serology
    assert sledai.LOOKBACK_DAYS == ref["lookback_days"]["standard"]
    assert sledai.LOOKBACK_DAYS_30_DAY_VARIANT == ref["lookback_days"]["alternative_30_day_variant"]


def test_sledai_bands_match_reference(reference):
    labels = {"no activity": "none", "low": "low", "moderate": "moderate", "high": "high"}
    bands = reference["sledai_2k"]["interpretation_bands_V1"]
    want = [(b["range"][0], b["range"][1], labels[b["label"]]) for b in bands]
    assert list(sledai.BANDS) == want


def test_eular_acr_domains_match_reference(reference):
    ref = reference["eular_acr_2019"]
    got = [(d.id, d.type, tuple((c.id, c.weight) for c in d.items)) for d in eular_acr.DOMAINS]
    want = [(d["id"], d["type"], tuple((i["id"], i["weight"]) for i in d["items"])) for d in ref["domains"]]
    assert got == want
    assert eular_acr.MAX_POINTS == {"clinical": ref["max_points"]["clinical"],
                                    "immunologic": ref["max_points"]["immunologic"]}
    assert eular_acr.CLASSIFICATION_THRESHOLD == ref["rules"]["classification_threshold_points"]
    assert eular_acr.ANA_MIN_TITRE_DENOMINATOR == ref["entry_criterion"]["min_titer_denominator"]


def test_crs_levels_match_reference(reference):
    ref = reference["astct_crs"]
    assert crs.HYPOTENSION_GRADES == {lvl["id"]: lvl["grade"] for lvl in ref["hypotension_levels"]}
    assert crs.HYPOXIA_GRADES == {lvl["id"]: lvl["grade"] for lvl in ref["hypoxia_levels"]}
    assert crs.FEVER_MIN_C == ref["fever_threshold_c"]
    assert crs.LOW_FLOW_MAX_L_PER_MIN == ref["low_flow_max_L_per_min"]


def test_icans_tables_match_reference(reference):
    ref = reference["astct_icans"]
    assert icans.ICE_ITEMS == {i["id"]: i["max_points"] for i in ref["ice"]["items"]}
    assert sum(icans.ICE_ITEMS.values()) == ref["ice"]["max_score"]
    assert icans.LOC_GRADES == {x["id"]: x["grade"] for x in ref["depressed_level_of_consciousness"]}
    assert icans.SEIZURE_GRADES == {x["id"]: x["grade"] for x in ref["seizure"]}
    assert icans.MOTOR_GRADES == {x["id"]: x["grade"] for x in ref["motor_findings"]}
    assert icans.ICP_GRADES == {x["id"]: x["grade"] for x in ref["elevated_icp_cerebral_edema"]}
    assert icans.CAPD_AGE_CUTOFF == ref["pediatric"]["age_cutoff_years"]["default_value"]
    assert icans.CAPD_POSITIVE_MIN == ref["capd"]["positive_threshold"]


def test_capd_scoring_matches_reference_maps(reference):
    items = reference["astct_icans"]["capd"]["items"]
    assert len(items) == 8
    for item in items:
        for answer, points in item["map"].items():
            answers = ["always", "always", "always", "always", "never", "never", "never", "never"]  # all 0
            answers[item["number"] - 1] = answer
            assert icans.capd_total(answers) == points, (item["number"], answer)
        assert (item["scoring"] == "reverse") == (item["number"] in icans.CAPD_REVERSE_ITEMS)


def test_formula_constants_match_reference(reference):
    f = reference["formulas"]
    assert renal.UMOL_PER_L_PER_MG_DL == f["creatinine_unit_conversion"]["umol_per_L_per_mg_dL"]
    assert renal.SCHWARTZ_K == f["bedside_schwartz_2009"]["k"]
    c = f["ckd_epi_2021_creatinine"]["constants"]
    assert (renal.CKD_EPI_A, renal.CKD_EPI_KAPPA, renal.CKD_EPI_ALPHA) == (c["A"], c["kappa"], c["alpha"])
    assert (renal.CKD_EPI_UPPER_EXPONENT, renal.CKD_EPI_AGE_BASE, renal.CKD_EPI_FEMALE_FACTOR) == (
        c["upper_exponent"], c["age_base"], c["female_factor"])
    assert renal.EGFR_INCLUSION_MIN == f["egfr_equation_selection"]["inclusion_threshold_ml_min_1_73m2"]
    assert body.MOSTELLER_CONSTANT == f["mosteller_bsa"]["constant"]


def test_glucocorticoid_table_matches_reference(reference):
    gc = reference["formulas"]["glucocorticoid_equivalence"]
    assert dict(steroids.EQUIVALENT_DOSE_MG) == gc["equivalent_dose_mg"]
    assert steroids.PREDNISONE_REFERENCE_MG == gc["equivalent_dose_mg"][gc["reference_drug"]]
    assert steroids.HIGH_DOSE_MIN_MG_PER_KG_PER_DAY == gc["inclusion_high_dose_rule"]["pred_eq_mg_per_kg_per_day_min"]


def test_glucocorticoid_table_consistent_with_fda_label(reference):
    label = reference["formulas"]["glucocorticoid_equivalence"]["fda_prednisolone_label_equivalents_mg"]
    for drug, mg in label.items():  # every label dose is prednisolone 15 mg
        assert steroids.prednisone_equivalent_mg(drug, mg) == pytest.approx(15.0)


def test_dose_constants_match_reference(reference):
    dose = reference["formulas"]["car_t_weight_based_dose"]
    assert list(dosing.DOSE_LEVELS_CELLS_PER_KG) == dose["dose_levels_seen"]["NCT07331467_registered"]
    assert dosing.DEFAULT_DOSE_TOLERANCE == dose["dose_tolerance_fraction_common"]


def test_outcome_thresholds_match_reference(reference):
    od = reference["outcome_definitions"]
    assert outcomes.PGA_MAX == od["pga"]["range"][1]
    assert len(outcomes.BILAG_DOMAINS) == 9
    # defaults of the configurable thresholds
    doris = inspect.signature(outcomes.doris_remission).parameters
    assert doris["max_pred_mg_per_day"].default == od["doris_2021"]["pred_eq_mg_per_day_max"]
    assert doris["pga_below"].default == od["doris_2021"]["pga_lt"]
    lldas = inspect.signature(outcomes.lldas).parameters
    assert lldas["max_pred_mg_per_day"].default == od["lldas"]["pred_eq_mg_per_day_max"]
    assert lldas["max_sledai"].default == od["lldas"]["sledai_2k_max"]
    assert lldas["max_pga"].default == od["lldas"]["pga_max"]


def test_missing_reference_file_fails_not_skips(tmp_path):
    """In a tree without docs/reference/domain-data.json, a reference-case test must fail, not skip."""
    # The conftest finds the file from its own place (<repo>/tests/clinical/), so a copy placed at
    # the same depth in an empty tree looks for <tree>/docs/reference/ and finds nothing.
    tree = tmp_path / "tree"
    probe_dir = tree / "tests" / "clinical"
    probe_dir.mkdir(parents=True)
    shutil.copy(Path(__file__).with_name("conftest.py"), probe_dir / "conftest.py")
    (probe_dir / "test_probe.py").write_text("def test_probe(sledai_case):\n    pass\n\n"
                                             "def test_whole(reference):\n    pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe_dir)],
                          check=False, cwd=tree, env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 failed" in proc.stdout and "skipped" not in proc.stdout, proc.stdout
    assert "could not be read" in proc.stdout and str(tree / "docs" / "reference") in proc.stdout
