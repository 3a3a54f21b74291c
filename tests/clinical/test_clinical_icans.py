"""ICE score, CAPD total and the ASTCT ICANS grade."""
from __future__ import annotations

import pytest

from ecrf.clinical.icans import (
    DOMAINS,
    ICP_GRADES,
    LOC_GRADES,
    MOTOR_GRADES,
    SEIZURE_GRADES,
    assessment_tool,
    capd_total,
    icans_domain_grades,
    icans_grade,
    ice_score,
)

UNAROUSABLE = "unarousable_or_requires_vigorous_or_repetitive_tactile_stimuli_stupor_coma"
SEIZURE_G3 = "clinical_seizure_resolving_rapidly_or_nonconvulsive_on_eeg_resolving_with_intervention"
SEIZURE_G4 = "life_threatening_prolonged_gt_5min_or_repetitive_without_return_to_baseline"
CALM = ["always"] * 4 + ["never"] * 4  # CAPD 0


def test_reference_case(icans_case):
    assert icans_grade(**icans_case["inputs"]) == icans_case["expected_grade"]


def test_ice_score_sum_and_bounds():
    assert ice_score(4, 3, 1, 1, 1) == 10
    assert ice_score(0, 0, 0, 0, 0) == 0
    assert ice_score(2, 3, 0, 1, 0) == 6
    assert ice_score(4, 3, True, False, True) == 9


@pytest.mark.parametrize("items", [(5, 3, 1, 1, 1), (4, 4, 1, 1, 1), (4, 3, 2, 1, 1), (4, 3, 1, 1, -1),
                                   (4.0, 3, 1, 1, 1), (None, 3, 1, 1, 1)])
def test_ice_item_out_of_range_raises(items):
    with pytest.raises(ValueError, match="ICE"):
        ice_score(*items)


def test_capd_totals():
    assert capd_total(CALM) == 0
    assert capd_total(["never"] * 4 + ["always"] * 4) == 32
    assert capd_total(["Sometimes"] * 8) == 16
    # items 1-4 reversed: "never" makes eye contact scores 4
    assert capd_total(["never", "always", "always", "always", "never", "never", "never", "never"]) == 4
    assert capd_total(["always", "always", "always", "always", "rarely", "never", "never", "never"]) == 1


def test_capd_needs_8_known_answers():
    with pytest.raises(ValueError, match="exactly 8"):
        capd_total(CALM[:7])
    with pytest.raises(ValueError, match="CAPD item 3 answer"):
        capd_total(["always", "always", "usually"] + ["never"] * 5)
    with pytest.raises(ValueError, match="exactly 8"):
        capd_total("never")


@pytest.mark.parametrize(("ice", "grade"), [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3), (1, 3), (0, 3)])
def test_ice_boundaries_awake(ice, grade):
    assert icans_grade(ice=ice) == grade


def test_ice_0_rules():
    assert icans_grade(ice=0, loc="awakens_spontaneously") == 3  # awake, global aphasia
    assert icans_grade(ice=0, loc="awakens_only_to_tactile_stimulus") == 3
    assert icans_grade(ice=0, loc=UNAROUSABLE) == 4


@pytest.mark.parametrize(("capd", "loc", "grade"), [
    (0, "normal", 0), (1, "normal", 1), (8, "awakens_spontaneously", 1), (8, "awakens_to_voice", 2),
    (9, "awakens_spontaneously", 3), (9, "normal", 3), (32, "normal", 3), (0, UNAROUSABLE, 4),
])
def test_capd_boundaries(capd, loc, grade):
    assert icans_grade(capd=capd, loc=loc) == grade


def test_capd_unable_is_grade_4():
    assert icans_grade(capd_unable=True) == 4
    assert icans_grade(capd_unable=True, age_years=6) == 4


@pytest.mark.parametrize(("domain", "table"), [
    ("loc", LOC_GRADES), ("seizure", SEIZURE_GRADES), ("motor", MOTOR_GRADES), ("icp", ICP_GRADES),
])
def test_each_domain_alone_sets_the_grade(domain, table):
    for level, grade in table.items():
        assert icans_grade(ice=10, **{domain: level}) == grade


def test_grade_is_the_worst_domain():
    assert icans_grade(ice=8, loc="awakens_to_voice", seizure=SEIZURE_G3) == 3
    assert icans_grade(ice=9, seizure=SEIZURE_G4, icp="focal_or_local_edema_on_neuroimaging") == 4
    grades = icans_domain_grades(ice=5, loc="awakens_spontaneously", seizure=SEIZURE_G3)
    assert grades == {"encephalopathy": 2, "consciousness": 1, "seizure": 3, "motor": 0, "icp": 0}


def test_no_encephalopathy_score_still_grades_other_domains():
    assert icans_grade() == 0
    assert icans_grade(seizure=SEIZURE_G3) == 3


def test_death_is_grade_5():
    assert icans_grade(ice=10, death_due_to_icans=True) == 5


@pytest.mark.parametrize(("age", "tool"), [(5, "CAPD"), (11, "CAPD"), (11.99, "CAPD"), (12, "ICE"), (30, "ICE")])
def test_assessment_tool_default_cutoff_12(age, tool):
    assert assessment_tool(age) == tool


def test_assessment_tool_cutoff_configurable():
    # NCIt reading "12 and under" -> CAPD: a cut-off of 13 makes age 12 use CAPD
    assert assessment_tool(12, cutoff=13) == "CAPD"
    assert assessment_tool(13, cutoff=13) == "ICE"


def test_ice_refused_under_cutoff_but_capd_allowed_over_it():
    with pytest.raises(ValueError, match="CAPD"):
        icans_grade(ice=10, age_years=11)
    assert icans_grade(ice=10, age_years=12) == 0
    with pytest.raises(ValueError, match="CAPD"):
        icans_grade(ice=10, age_years=12, capd_age_cutoff=13)
    # CAPD stays usable above the cut-off (developmental delay; validated to 21)
    assert icans_grade(capd=4, age_years=15) == 1


# Every row of the ASTCT ICANS table (domain-reference.md 3b): each domain at each of its grades, and each of
# them excluded when attributable to another cause (Lee 2019: "not attributable to any other cause").
ICE_ROWS = [(10, 0), (9, 1), (8, 1), (7, 1), (6, 2), (5, 2), (4, 2), (3, 2), (2, 3), (1, 3), (0, 3)]
DOMAIN_ROWS = [
    *(("consciousness", {"ice": 10, "loc": level}, grade) for level, grade in LOC_GRADES.items()),
    *(("seizure", {"ice": 10, "seizure": level}, grade) for level, grade in SEIZURE_GRADES.items()),
    *(("motor", {"ice": 10, "motor": level}, grade) for level, grade in MOTOR_GRADES.items()),
    *(("icp", {"ice": 10, "icp": level}, grade) for level, grade in ICP_GRADES.items()),
    *(("encephalopathy", {"ice": ice}, grade) for ice, grade in ICE_ROWS),
    ("encephalopathy", {"ice": 0, "loc": UNAROUSABLE}, 4),
    ("encephalopathy", {"capd": 8}, 1),
    ("encephalopathy", {"capd": 9}, 3),
    ("encephalopathy", {"capd_unable": True}, 4),
]


@pytest.mark.parametrize(("domain", "inputs", "grade"), DOMAIN_ROWS)
def test_every_row_of_the_astct_icans_table_and_its_exclusion(domain, inputs, grade):
    assert icans_grade(**inputs) == grade
    # the domain attributable to another cause does not count (ICE 0 + unarousable: both domains excluded)
    excluded = {domain, "consciousness"} if inputs.get("loc") == UNAROUSABLE else {domain}
    assert icans_grade(**inputs, other_cause=excluded) == 0
    assert icans_domain_grades(**inputs, other_cause=excluded)[domain] == 0


def test_an_excluded_domain_leaves_the_others_to_grade():
    # a seizure from hyponatraemia does not count; the ICE of 5 still grades 2
    assert icans_grade(ice=5, seizure=SEIZURE_G4, other_cause={"seizure"}) == 2
    # sedation explains the depressed consciousness: ICE 0 is then grade 3 (the awake rule), not 4
    assert icans_grade(ice=0, loc=UNAROUSABLE, other_cause={"consciousness"}) == 3
    assert icans_grade(ice=3, seizure=SEIZURE_G3, motor="deep_focal_motor_weakness_hemiparesis_or_paraparesis",
                       other_cause={"motor"}) == 3
    assert set(DOMAINS) == set(icans_domain_grades(ice=10))


def test_death_counts_whatever_the_exclusions():
    assert icans_grade(ice=10, other_cause=set(DOMAINS), death_due_to_icans=True) == 5


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"other_cause": {"sedation"}}, "another cause"),
    ({"other_cause": "seizure"}, "single string"),
    ({"ice": 10, "capd": 3}, "not both"),
    ({"ice": 11}, "ICE score"),
    ({"capd": 33}, "CAPD total"),
    ({"capd": -1}, "CAPD total"),
    ({"loc": "drowsy"}, "level of consciousness"),
    ({"seizure": "yes"}, "seizure"),
    ({"motor": "tremor"}, "motor"),  # tremor is graded by CTCAE, not ICANS
    ({"icp": "intracranial_haemorrhage"}, "ICP"),  # haemorrhage is excluded from ICANS
    ({"capd_unable": "yes"}, "capd_unable"),
    ({"death_due_to_icans": 1}, "death_due_to_icans"),
])
def test_invalid_input_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        icans_grade(**kwargs)
