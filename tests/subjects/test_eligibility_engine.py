"""Eligibility engine (ecrf.enrolment.eligibility): each criterion of protocol-brief.md IN1-IN11 and the
exclusions, at and just around its boundary, plus missing and unreadable data."""
from __future__ import annotations

import pytest

from ecrf.clinical import eular_acr, sledai
from ecrf.enrolment.eligibility import Eligibility, evaluate
from ecrf.study.crfs.codelists import IMMUNOSUPPRESSANTS
from ecrf.study.messages import Msg, join
from ecrf.study.words import criterion_label, render

CONSENT = "2026-11-01T09:00:00Z"  # first consent: all ages below are on 2026-11-01
SAMPLE = "2026-11-02T08:00:00Z"
EXCLUSION_OIDS = ("I.ELIG.INFECT", "I.ELIG.CNSLUP", "I.ELIG.PREGLACT", "I.ELIG.MALIG", "I.ELIG.ORGAN")


def said(criterion) -> str:
    """A criterion's data in the English words a user reads (the engine itself gives codes)."""
    return render(criterion.message)


def consent(kind: str, signer: str, when: str = CONSENT) -> dict[str, str | None]:
    return {"I.IC.DTC": when, "I.IC.TYPE": kind, "I.IC.SIGNER": signer, "I.IC.VERSION": "2.0"}


ADULT = [consent("ADULT", "PARTICIPANT")]
GUARDIAN = [consent("GUARDIAN", "LAR")]
GUARDIAN_ASSENT = [consent("GUARDIAN", "LAR"), consent("ASSENT", "PARTICIPANT")]


def eular(*ids: str) -> dict[str, str]:
    """Every EULAR/ACR 2019 item answered: the ids given "true", the rest "false"."""
    return {f"I.SLEHX.{c.id.upper()}": str(c.id in ids).lower() for d in eular_acr.DOMAINS for c in d.items}


def descriptors(*ids: str) -> dict[str, str]:
    return {f"I.SLEDAI.{d.id.upper()}": str(d.id in ids).lower() for d in sledai.DESCRIPTORS}


def drugs(*codes: str) -> dict[str, str]:
    return {f"I.PRIORTX.{code}": str(code in codes).lower() for code, _ in IMMUNOSUPPRESSANTS}


def adult_woman() -> dict[str, str | None]:
    """A fully eligible woman of 30 of childbearing potential with a negative serum test."""
    return {
        "I.DM.BRTHDAT": "1996-05-20", "I.DM.SEX": "F", "I.DM.MENARCHE": "true", "I.DM.STERIL": "false",
        "I.DM.POSTMENO": "false",
        "I.SLEHX.ANATITRE": "320", **eular("acute_cutaneous_lupus", "anti_dsdna_or_anti_smith", "low_c3_and_low_c4"),
        "I.PRIORTX.GCDRUG": "prednisone", "I.PRIORTX.GCDOSE": "60", "I.PRIORTX.GCWT": "60", "I.PRIORTX.GCMON": "6",
        "I.PRIORTX.HCQ": "true", **drugs("MMF", "CYC"), "I.PRIORTX.STDINT": "false",
        "I.SLEDAI.DAT": "2026-11-02", "I.SLEDAI.LOOKBACK": "10", "I.SLEDAI.TOTAL": "12",
        **descriptors("arthritis", "proteinuria", "low_complement", "increased_dna_binding"),
        "I.CARDIO.LVEF": "62", "I.CARDIO.ECG": "NORMAL",
        "I.CHEM.DTC": SAMPLE, "I.CHEM.CREAT": "70", "I.CHEM.ALT": "30", "I.CHEM.ALTULN": "40",
        "I.CHEM.AST": "28", "I.CHEM.ASTULN": "40", "I.CHEM.BILI": "10", "I.CHEM.BILIULN": "21",
        "I.HTWT.HEIGHT": "165", "I.HTWT.WEIGHT": "60",
        "I.CHEST.SERLUNG": "false", "I.VS.SPO2": "98", "I.VS.O2SUP": "false",
        "I.ELIG.LEUKOK": "true", **{oid: "false" for oid in EXCLUSION_OIDS},
        "I.PREG.DTC": SAMPLE, "I.PREG.SPEC": "SERUM", "I.PREG.RES": "NEG", "I.CONTRA.AGREE": "true",
    }


def child() -> dict[str, str | None]:
    """A fully eligible premenarchal girl of 10 (no pregnancy test needed), bedside Schwartz eGFR."""
    values = adult_woman()
    for oid in ("I.PREG.DTC", "I.PREG.SPEC", "I.PREG.RES", "I.CONTRA.AGREE", "I.DM.STERIL", "I.DM.POSTMENO"):
        del values[oid]
    values.update({"I.DM.BRTHDAT": "2016-03-10", "I.DM.MENARCHE": "false", "I.PRIORTX.GCDOSE": "32",
                   "I.PRIORTX.GCWT": "32", "I.HTWT.HEIGHT": "140", "I.HTWT.WEIGHT": "33", "I.CHEM.CREAT": "45"})
    return values


def run(changes: dict | None = None, consents: list | None = None, base=adult_woman, **kw) -> Eligibility:
    """Evaluate ``base`` with ``changes`` (a value of None removes the item)."""
    values = base()
    for oid, value in (changes or {}).items():
        if value is None:
            values.pop(oid, None)
        else:
            values[oid] = value
    if consents is None:
        consents = ADULT if base is adult_woman else GUARDIAN_ASSENT
    return evaluate(values, consents, **kw)


# -- baselines ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("base", [adult_woman, child])
def test_baseline_is_fully_eligible(base):
    result = run(base=base)
    assert [c.code for c in result.criteria] == [f"IN{n}" for n in range(1, 12)] + ["EX"]
    assert [(c.code, c.status) for c in result.criteria if c.status != "met"] == []
    assert result.all_met and result.failed == [] and result.missing == []
    assert all(criterion_label(c.code) != c.code and said(c) and c.missing == [] for c in result.criteria)


def test_baseline_values_are_human_readable():
    adult, kid = run(), run(base=child)
    assert adult["IN1"].message == Msg("age_at_consent", age=30, on="2026-11-01")
    assert said(adult["IN1"]) == "age 30 y at consent 2026-11-01"
    assert adult["IN4"].message == Msg("sledai", total=12)
    assert said(adult["IN4"]) == "SLEDAI-2K 12"
    assert said(adult["IN6"]).startswith("eGFR ") and "CKD-EPI 2021" in said(adult["IN6"])
    assert "mL/min/1.73 m²" in said(adult["IN6"]) and "age 30 y at sample 2026-11-02" in said(adult["IN6"])
    assert said(kid["IN6"]).startswith("eGFR 113.5 mL/min/1.73 m² (bedside Schwartz 2009")
    assert said(adult["IN10"]) == ("of childbearing potential; negative serum pregnancy test 2026-11-02; "
                                   "agrees to contraception")
    assert said(kid["IN10"]).startswith("not of childbearing potential (premenarchal")
    assert adult["IN10"].message == join(Msg("wocbp"), Msg("pregnancy_negative", on="2026-11-02"),
                                         Msg("contraception_yes"))
    assert kid["IN11"].message == Msg("consents_signed", age=10,
                                      signed=[["GUARDIAN", "LAR"], ["ASSENT", "PARTICIPANT"]])
    assert said(kid["IN11"]) == "age 10 y at consent: GUARDIAN by LAR, ASSENT by PARTICIPANT"


def test_summary_properties_list_codes():
    result = run({"I.CARDIO.LVEF": "54", "I.VS.SPO2": None})
    assert not result.all_met
    assert result.failed == ["IN5"] and result.missing == ["IN8"]
    assert result["IN8"].missing == ["I.VS.SPO2"]


# -- boundaries ---------------------------------------------------------------------------------------

P = pytest.param
BOUNDARIES = [
    # IN1: age >= 5 at the first consent (5th birthday on the consent day vs the day before it)
    P("IN1", child, {"I.DM.BRTHDAT": "2021-11-01"}, GUARDIAN, "met", id="IN1-5th-birthday-on-consent-day"),
    P("IN1", child, {"I.DM.BRTHDAT": "2021-11-02"}, GUARDIAN, "not_met", id="IN1-day-before-5th-birthday"),
    P("IN1", child, {"I.DM.BRTHDAT": "2021-10-15"},
      [consent("GUARDIAN", "LAR", "2026-10-01T09:00:00Z"), consent("GUARDIAN", "LAR")], "not_met",
      id="IN1-earliest-consent-counts"),
    P("IN1", child, {"I.DM.BRTHDAT": "2020-02-29"}, [consent("GUARDIAN", "LAR", "2025-02-28T09:00:00Z")],
      "not_met", id="IN1-29-feb-birthday-not-yet-on-28-feb"),
    P("IN1", child, {"I.DM.BRTHDAT": "2020-02-29"}, [consent("GUARDIAN", "LAR", "2025-03-01T09:00:00Z")],
      "met", id="IN1-29-feb-birthday-reached-1-mar"),
    # IN2: ANA >= 1:80 entry (or an equivalent test); >= 10 points with >= 1 clinical item
    P("IN2", adult_woman, {"I.SLEHX.ANATITRE": "80"}, None, "met", id="IN2-ANA-1:80"),
    P("IN2", adult_woman, {"I.SLEHX.ANATITRE": "40"}, None, "not_met", id="IN2-ANA-1:40"),
    P("IN2", adult_woman, {"I.SLEHX.ANATITRE": "0"}, None, "not_met", id="IN2-ANA-negative"),
    P("IN2", adult_woman, {"I.SLEHX.ANATITRE": "40", "I.SLEHX.ANAEQUIV": "true"}, None, "met",
      id="IN2-ANA-1:40-but-equivalent-test"),
    P("IN2", adult_woman, eular("joint_involvement", "low_c3_and_low_c4"), None, "met", id="IN2-10-points"),
    P("IN2", adult_woman, eular("joint_involvement", "low_c3_or_low_c4"), None, "not_met", id="IN2-9-points"),
    P("IN2", adult_woman, eular("ln_class_iii_or_iv"), None, "met", id="IN2-10-points-one-clinical-item"),
    P("IN2", adult_woman, eular("anti_dsdna_or_anti_smith", "low_c3_and_low_c4", "apl_positive"), None,
      "not_met", id="IN2-12-points-no-clinical-item"),
    P("IN2", adult_woman, eular("acute_cutaneous_lupus", "subacute_cutaneous_or_discoid_lupus", "low_c3_or_low_c4"),
      None, "not_met", id="IN2-only-highest-item-of-a-domain-counts"),
    # IN3: prednisone-equivalent >= 1 mg/kg/d for >= 3 months + HCQ + >= 2 drugs, or intolerance
    P("IN3", adult_woman, {"I.PRIORTX.GCDOSE": "60"}, None, "met", id="IN3-prednisone-1.00-mg/kg"),
    P("IN3", adult_woman, {"I.PRIORTX.GCDOSE": "59.4"}, None, "not_met", id="IN3-prednisone-0.99-mg/kg"),
    P("IN3", adult_woman, {"I.PRIORTX.GCDRUG": "methylprednisolone", "I.PRIORTX.GCDOSE": "48"}, None, "met",
      id="IN3-methylprednisolone-48mg-60kg-is-1.0"),
    P("IN3", adult_woman, {"I.PRIORTX.GCDRUG": "methylprednisolone", "I.PRIORTX.GCDOSE": "47.6"}, None, "not_met",
      id="IN3-methylprednisolone-0.99"),
    P("IN3", adult_woman, {"I.PRIORTX.GCDRUG": "dexamethasone", "I.PRIORTX.GCDOSE": "9"}, None, "met",
      id="IN3-dexamethasone-9mg-60kg-is-1.0"),
    P("IN3", child, {"I.PRIORTX.GCDOSE": "32", "I.PRIORTX.GCWT": "32.5"}, None, "not_met",
      id="IN3-child-dose-per-kg-of-weight-on-that-dose"),
    P("IN3", adult_woman, {"I.PRIORTX.GCMON": "3"}, None, "met", id="IN3-3-months"),
    P("IN3", adult_woman, {"I.PRIORTX.GCMON": "2"}, None, "not_met", id="IN3-2-months"),
    P("IN3", adult_woman, drugs("MMF", "RTX"), None, "met", id="IN3-2-drugs"),
    P("IN3", adult_woman, drugs("MMF"), None, "not_met", id="IN3-1-drug"),
    P("IN3", adult_woman, {"I.PRIORTX.HCQ": "false"}, None, "not_met", id="IN3-no-hydroxychloroquine"),
    P("IN3", adult_woman, {"I.PRIORTX.GCDOSE": "10", "I.PRIORTX.GCMON": "0", "I.PRIORTX.HCQ": "false", **drugs(),
                           "I.PRIORTX.STDINT": "true"}, None, "met", id="IN3-intolerance-path"),
    P("IN3", adult_woman, {"I.PRIORTX.GCMON": None, "I.PRIORTX.HCQ": None, "I.PRIORTX.STDINT": "true"}, None,
      "met", id="IN3-intolerance-path-needs-nothing-else"),
    P("IN3", adult_woman, {"I.PRIORTX.HCQ": "false", "I.PRIORTX.STDINT": None}, None, "not_met",
      id="IN3-intolerance-unanswered-is-no"),
    # IN4: SLEDAI-2K >= 8 (recorded total, else computed from the descriptors of a dated form)
    P("IN4", adult_woman, {"I.SLEDAI.TOTAL": "8"}, None, "met", id="IN4-SLEDAI-8"),
    P("IN4", adult_woman, {"I.SLEDAI.TOTAL": "7"}, None, "not_met", id="IN4-SLEDAI-7"),
    P("IN4", adult_woman, {"I.SLEDAI.TOTAL": None, **descriptors("arthritis", "rash", "alopecia")}, None, "met",
      id="IN4-computed-8"),
    P("IN4", adult_woman, {"I.SLEDAI.TOTAL": None, **descriptors("arthritis", "rash", "fever")}, None, "not_met",
      id="IN4-computed-7"),
    # IN5: LVEF >= 55 % and no clinically significant ECG abnormality
    P("IN5", adult_woman, {"I.CARDIO.LVEF": "55"}, None, "met", id="IN5-LVEF-55"),
    P("IN5", adult_woman, {"I.CARDIO.LVEF": "54"}, None, "not_met", id="IN5-LVEF-54"),
    P("IN5", adult_woman, {"I.CARDIO.ECG": "ABN_NCS"}, None, "met", id="IN5-ECG-abnormal-not-significant"),
    P("IN5", adult_woman, {"I.CARDIO.ECG": "ABN_CS"}, None, "not_met", id="IN5-ECG-abnormal-significant"),
    # IN6: eGFR >= 30; creatinine (umol/L) chosen to land just above / below 30
    P("IN6", child, {"I.CHEM.CREAT": "170.3"}, None, "met", id="IN6-child-Schwartz-30.01"),
    P("IN6", child, {"I.CHEM.CREAT": "170.4"}, None, "not_met", id="IN6-child-Schwartz-29.996"),
    P("IN6", adult_woman, {"I.CHEM.CREAT": "195.4"}, None, "met", id="IN6-woman-CKD-EPI-30.005"),
    P("IN6", adult_woman, {"I.CHEM.CREAT": "195.5"}, None, "not_met", id="IN6-woman-CKD-EPI-29.986"),
    P("IN6", adult_woman, {"I.DM.SEX": "M", "I.DM.BRTHDAT": "1986-05-20", "I.CHEM.CREAT": "236.2"}, None, "met",
      id="IN6-man-40-CKD-EPI-30.002"),
    P("IN6", adult_woman, {"I.DM.SEX": "M", "I.DM.BRTHDAT": "1986-05-20", "I.CHEM.CREAT": "236.3"}, None,
      "not_met", id="IN6-man-40-CKD-EPI-29.986"),
    # IN7: AST, ALT <= 3.0 x ULN; bilirubin <= 2.0 x ULN (each against its own ULN)
    P("IN7", adult_woman, {"I.CHEM.AST": "120"}, None, "met", id="IN7-AST-3.0xULN"),
    P("IN7", adult_woman, {"I.CHEM.AST": "120.4"}, None, "not_met", id="IN7-AST-3.01xULN"),
    P("IN7", adult_woman, {"I.CHEM.ALT": "120"}, None, "met", id="IN7-ALT-3.0xULN"),
    P("IN7", adult_woman, {"I.CHEM.ALT": "120.4"}, None, "not_met", id="IN7-ALT-3.01xULN"),
    P("IN7", adult_woman, {"I.CHEM.AST": "99.9", "I.CHEM.ASTULN": "33.3"}, None, "met",
      id="IN7-AST-3.0x-ULN-33.3-no-float-noise"),
    P("IN7", adult_woman, {"I.CHEM.AST": "100", "I.CHEM.ASTULN": "33.3"}, None, "not_met", id="IN7-AST-3.003x"),
    P("IN7", adult_woman, {"I.CHEM.ALT": "120", "I.CHEM.ALTULN": "39.9"}, None, "not_met",
      id="IN7-ALT-against-its-own-ULN"),
    P("IN7", adult_woman, {"I.CHEM.BILI": "40", "I.CHEM.BILIULN": "20"}, None, "met", id="IN7-bilirubin-2.0xULN"),
    P("IN7", adult_woman, {"I.CHEM.BILI": "40.2", "I.CHEM.BILIULN": "20"}, None, "not_met",
      id="IN7-bilirubin-2.01xULN"),
    P("IN7", adult_woman, {"I.CHEM.BILI": "60", "I.CHEM.BILIULN": "20"}, None, "not_met",
      id="IN7-bilirubin-3.0x-is-too-high"),
    # IN8: no serious lung lesion; SpO2 >= 92 % (room air)
    P("IN8", adult_woman, {"I.VS.SPO2": "92"}, None, "met", id="IN8-SpO2-92"),
    P("IN8", adult_woman, {"I.VS.SPO2": "91"}, None, "not_met", id="IN8-SpO2-91"),
    P("IN8", adult_woman, {"I.CHEST.SERLUNG": "true"}, None, "not_met", id="IN8-serious-lung-lesion"),
    P("IN8", adult_woman, {"I.VS.O2SUP": "true"}, None, "not_met", id="IN8-SpO2-on-oxygen"),
    P("IN8", adult_woman, {"I.VS.O2SUP": None}, None, "met", id="IN8-oxygen-unanswered-is-room-air"),
    # IN9: investigator's leukapheresis assessment
    P("IN9", adult_woman, {"I.ELIG.LEUKOK": "false"}, None, "not_met", id="IN9-not-suitable"),
    # IN10: WOCBP needs a negative serum test and a contraception agreement
    P("IN10", adult_woman, {"I.PREG.RES": "POS"}, None, "not_met", id="IN10-positive-test"),
    P("IN10", adult_woman, {"I.PREG.RES": "IND"}, None, "not_met", id="IN10-indeterminate-test"),
    P("IN10", adult_woman, {"I.PREG.SPEC": "URINE"}, None, "not_met", id="IN10-urine-test-at-screening"),
    P("IN10", adult_woman, {"I.CONTRA.AGREE": "false"}, None, "not_met", id="IN10-no-contraception"),
    P("IN10", adult_woman, {"I.PREG.RES": "POS", "I.CONTRA.AGREE": None}, None, "not_met",
      id="IN10-positive-test-decides-despite-missing-agreement"),
    P("IN10", child, {}, None, "met", id="IN10-premenarchal-girl"),
    P("IN10", child, {"I.DM.MENARCHE": "true", "I.PREG.DTC": SAMPLE, "I.PREG.SPEC": "SERUM", "I.PREG.RES": "NEG",
                      "I.CONTRA.AGREE": "true"}, None, "met", id="IN10-post-menarche-girl-tested"),
    P("IN10", child, {"I.DM.MENARCHE": "true"}, None, "missing", id="IN10-post-menarche-girl-untested"),
    P("IN10", adult_woman, {"I.DM.SEX": "M", "I.DM.MENARCHE": None, "I.PREG.RES": None, "I.CONTRA.AGREE": None},
      None, "met", id="IN10-male"),
    P("IN10", adult_woman, {"I.DM.STERIL": "true", "I.DM.STERILTYP": "hysterectomy", "I.PREG.RES": None,
                            "I.CONTRA.AGREE": None}, None, "met", id="IN10-sterile"),
    P("IN10", adult_woman, {"I.DM.POSTMENO": "true", "I.PREG.RES": None, "I.CONTRA.AGREE": None}, None, "met",
      id="IN10-postmenopausal"),
    # IN11: adult consent / guardian permission + assent from assent_age
    P("IN11", adult_woman, {}, GUARDIAN, "not_met", id="IN11-adult-with-guardian-permission-only"),
    P("IN11", adult_woman, {}, [consent("ADULT", "LAR")], "not_met", id="IN11-adult-consent-signed-by-LAR"),
    P("IN11", child, {"I.DM.BRTHDAT": "2008-11-01"}, ADULT, "met", id="IN11-18th-birthday-adult-consent"),
    P("IN11", child, {"I.DM.BRTHDAT": "2008-11-01"}, GUARDIAN_ASSENT, "not_met",
      id="IN11-18th-birthday-guardian-not-enough"),
    P("IN11", child, {"I.DM.BRTHDAT": "2008-11-02"}, GUARDIAN_ASSENT, "met", id="IN11-17-guardian-and-assent"),
    P("IN11", child, {"I.DM.BRTHDAT": "2008-11-02"}, ADULT, "not_met", id="IN11-17-adult-consent-not-enough"),
    P("IN11", child, {}, GUARDIAN, "not_met", id="IN11-10-without-assent"),
    P("IN11", child, {}, [consent("ASSENT", "PARTICIPANT")], "not_met", id="IN11-10-assent-without-guardian"),
    P("IN11", child, {}, [consent("GUARDIAN", "PARTICIPANT"), consent("ASSENT", "PARTICIPANT")], "not_met",
      id="IN11-guardian-form-signed-by-child"),
    P("IN11", child, {"I.DM.BRTHDAT": "2018-11-01"}, GUARDIAN, "not_met", id="IN11-8th-birthday-without-assent"),
    P("IN11", child, {"I.DM.BRTHDAT": "2018-11-01"}, GUARDIAN_ASSENT, "met", id="IN11-8-with-assent"),
    P("IN11", child, {"I.DM.BRTHDAT": "2018-11-02"}, GUARDIAN, "met", id="IN11-7-without-assent"),
    P("IN11", child, {"I.DM.BRTHDAT": "2021-11-01"}, GUARDIAN, "met", id="IN11-5-guardian-only"),
]


@pytest.mark.parametrize(("code", "base", "changes", "consents", "expected"), BOUNDARIES)
def test_boundary(code, base, changes, consents, expected):
    criterion = run(changes, consents, base)[code]
    assert criterion.status == expected, criterion
    assert criterion.missing == [] or expected == "missing"


@pytest.mark.parametrize(("kw", "birth", "consents", "expected"), [
    P({"assent_age": 7}, "2018-11-02", GUARDIAN, "not_met", id="assent-age-7-makes-a-7-year-old-need-assent"),
    P({"assent_age": 9}, "2018-11-01", GUARDIAN, "met", id="assent-age-9-spares-an-8-year-old"),
    P({"adult_age": 16}, "2010-11-01", ADULT, "met", id="adult-age-16-accepts-adult-consent-at-16"),
    P({"adult_age": 16}, "2010-11-02", ADULT, "not_met", id="adult-age-16-refuses-it-at-15"),
])
def test_consent_ages_are_configurable(kw, birth, consents, expected):
    assert run({"I.DM.BRTHDAT": birth}, consents, child, **kw)["IN11"].status == expected


def test_consent_date_is_the_utc_date_of_the_signature():
    late = [consent("GUARDIAN", "LAR", "2026-10-31T23:30:00Z")]
    assert said(run({"I.DM.BRTHDAT": "2021-11-01"}, late, child)["IN1"]) == "age 4 y at consent 2026-10-31"


def test_not_met_values_show_what_failed():
    assert said(run({"I.ELIG.LEUKOK": "false", "I.ELIG.LEUKRSN": "poor venous access"})["IN9"]) == \
        "not suitable for collection: poor venous access"
    assert "needs ASSENT signed by PARTICIPANT" in said(run({}, GUARDIAN, child)["IN11"])
    assert "prednisone-eq 0.99 mg/kg/d" in said(run({"I.PRIORTX.GCDOSE": "59.4"})["IN3"])
    assert "limit 120.0 = 3.0 x ULN 40" in said(run({"I.CHEM.AST": "120.4"})["IN7"])
    assert said(run({"I.DM.STERIL": "true", "I.DM.STERILTYP": "hysterectomy"})["IN10"]) == \
        "not of childbearing potential (permanently sterile: hysterectomy)"


def test_egfr_displayed_value_never_crosses_the_threshold():
    below = run({"I.CHEM.CREAT": "170.4"}, base=child)["IN6"]
    assert said(below).startswith("eGFR 29.9 ")  # 29.996 shown rounded down, not as "30.0"


# -- IN6: which formula, which age, and the recorded eGFR ---------------------------------------------


def test_egfr_formula_follows_age_at_the_chemistry_sample():
    # 17 at consent, 18 on the sample date: CKD-EPI (37.4) rather than bedside Schwartz (28.2)
    changes = {"I.DM.BRTHDAT": "2008-11-02", "I.DM.SEX": "M", "I.HTWT.HEIGHT": "170", "I.CHEM.CREAT": "220"}
    at_sample = run(changes, base=child)["IN6"]
    assert at_sample.status == "met" and "CKD-EPI 2021, age 18 y at sample 2026-11-02" in said(at_sample)
    at_consent = run({**changes, "I.CHEM.DTC": None}, base=child)["IN6"]
    assert at_consent.status == "not_met" and "bedside Schwartz 2009, age 17 y at consent" in said(at_consent)


def test_recorded_egfr_is_recalculated_not_trusted():
    assert run({"I.CHEM.EGFR": "12.0"})["IN6"].status == "met"
    assert run({"I.CHEM.EGFR": "95.0", "I.CHEM.CREAT": "400"})["IN6"].status == "not_met"


def test_recorded_egfr_is_used_only_when_it_cannot_be_recalculated():
    fallback = run({"I.HTWT.HEIGHT": None, "I.CHEM.EGFR": "31.0"}, base=child)["IN6"]
    assert fallback.status == "met" and "as recorded" in said(fallback) and "I.HTWT.HEIGHT" in said(fallback)
    assert run({"I.HTWT.HEIGHT": None}, base=child)["IN6"].missing == ["I.HTWT.HEIGHT"]
    assert run({"I.HTWT.HEIGHT": None})["IN6"].status == "met"  # adults need no height (CKD-EPI)


# -- exclusions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("oid", EXCLUSION_OIDS)
def test_each_exclusion_fails(oid):
    ex = run({oid: "true"})["EX"]
    assert ex.status == "not_met" and oid in said(ex)


def test_exclusions_list_every_one_present():
    ex = run({"I.ELIG.INFECT": "true", "I.ELIG.MALIG": "true"})["EX"]
    assert said(ex) == "present: active uncontrolled infection (I.ELIG.INFECT), malignancy (I.ELIG.MALIG)"


@pytest.mark.parametrize(("changes", "expected"), [
    P({"I.PRIORTX.GENETX": "true"}, "not_met", id="prior-CAR-T-or-gene-therapy"),
    P({"I.PRIORTX.GENETX": "false"}, "met", id="no-prior-gene-therapy"),
    P({"I.ELIG.OTHEREX": "HIV positive"}, "not_met", id="other-exclusion-written-in"),
    P({"I.ELIG.OTHEREX": "   "}, "met", id="blank-other-exclusion"),
    P({"I.ELIG.INFECT": "true", "I.ELIG.ORGAN": None}, "not_met", id="one-present-decides-despite-missing"),
])
def test_other_exclusions(changes, expected):
    assert run(changes)["EX"].status == expected


# -- missing data -------------------------------------------------------------------------------------

MISSING = [
    ("IN1", adult_woman, ["I.DM.BRTHDAT"], ["I.DM.BRTHDAT"]),
    ("IN2", adult_woman, ["I.SLEHX.ANATITRE"], ["I.SLEHX.ANATITRE"]),
    ("IN3", adult_woman, ["I.PRIORTX.GCDRUG"], ["I.PRIORTX.GCDRUG"]),
    ("IN3", adult_woman, ["I.PRIORTX.GCDOSE", "I.PRIORTX.GCWT"], ["I.PRIORTX.GCDOSE", "I.PRIORTX.GCWT"]),
    ("IN3", adult_woman, ["I.PRIORTX.GCMON"], ["I.PRIORTX.GCMON"]),
    ("IN3", adult_woman, ["I.PRIORTX.HCQ"], ["I.PRIORTX.HCQ"]),
    ("IN3", adult_woman, ["I.PRIORTX.MMF"], ["I.PRIORTX.MMF"]),  # 1 drug known + 1 unanswered
    ("IN4", adult_woman, ["I.SLEDAI.TOTAL", "I.SLEDAI.DAT"], ["I.SLEDAI.TOTAL", "I.SLEDAI.DAT"]),
    ("IN5", adult_woman, ["I.CARDIO.LVEF"], ["I.CARDIO.LVEF"]),
    ("IN5", adult_woman, ["I.CARDIO.ECG"], ["I.CARDIO.ECG"]),
    ("IN6", adult_woman, ["I.CHEM.CREAT"], ["I.CHEM.CREAT"]),
    ("IN6", adult_woman, ["I.DM.SEX"], ["I.DM.SEX"]),
    ("IN6", child, ["I.HTWT.HEIGHT"], ["I.HTWT.HEIGHT"]),
    ("IN7", adult_woman, ["I.CHEM.AST"], ["I.CHEM.AST"]),
    ("IN7", adult_woman, ["I.CHEM.ASTULN"], ["I.CHEM.ASTULN"]),
    ("IN7", adult_woman, ["I.CHEM.ALT", "I.CHEM.BILIULN"], ["I.CHEM.ALT", "I.CHEM.BILIULN"]),
    ("IN8", adult_woman, ["I.CHEST.SERLUNG"], ["I.CHEST.SERLUNG"]),
    ("IN8", adult_woman, ["I.VS.SPO2"], ["I.VS.SPO2"]),
    ("IN9", adult_woman, ["I.ELIG.LEUKOK"], ["I.ELIG.LEUKOK"]),
    ("IN10", adult_woman, ["I.DM.SEX"], ["I.DM.SEX"]),
    ("IN10", adult_woman, ["I.DM.MENARCHE"], ["I.DM.MENARCHE"]),
    ("IN10", adult_woman, ["I.PREG.RES"], ["I.PREG.RES"]),
    ("IN10", adult_woman, ["I.PREG.SPEC", "I.PREG.DTC"], ["I.PREG.SPEC", "I.PREG.DTC"]),
    ("IN10", adult_woman, ["I.CONTRA.AGREE"], ["I.CONTRA.AGREE"]),
    ("IN11", adult_woman, ["I.DM.BRTHDAT"], ["I.DM.BRTHDAT"]),
    *[("EX", adult_woman, [oid], [oid]) for oid in EXCLUSION_OIDS],
]


@pytest.mark.parametrize(("code", "base", "removed", "expected"), MISSING,
                         ids=[f"{m[0]}-{'+'.join(m[2])}" for m in MISSING])
def test_missing_item_makes_the_criterion_missing(code, base, removed, expected):
    result = run(dict.fromkeys(removed), base=base)
    assert result[code].status == "missing"
    assert result[code].missing == expected
    assert code in result.missing and not result.all_met


def test_sterile_without_the_procedure_is_missing():
    criterion = run({"I.DM.STERIL": "true", "I.PREG.RES": None})["IN10"]
    assert criterion.status == "missing" and criterion.missing == ["I.DM.STERILTYP"]


def test_unticked_optional_items_are_not_missing():
    # EULAR/ACR and SLEDAI-2K tick-boxes, ANAEQUIV, STDINT, O2SUP, GENETX left unanswered on saved forms
    values = {k: v for k, v in adult_woman().items()
              if not (k.startswith(("I.SLEHX.", "I.SLEDAI.")) and v == "false")}
    values.pop("I.PRIORTX.STDINT")
    values.pop("I.VS.O2SUP")
    assert evaluate(values, ADULT).all_met


def test_unsaved_sle_history_is_missing_not_failed():
    values = {k: v for k, v in adult_woman().items() if not k.startswith("I.SLEHX.")}
    assert evaluate(values, ADULT)["IN2"].missing == ["I.SLEHX.ANATITRE"]


def test_sledai_descriptors_are_not_used_without_the_form_date():
    criterion = run({"I.SLEDAI.TOTAL": None, "I.SLEDAI.DAT": None})["IN4"]
    assert criterion.status == "missing"


@pytest.mark.parametrize(("consents", "expected"), [
    P([], ["I.IC.DTC", "I.IC.TYPE", "I.IC.SIGNER"], id="no-consent"),
    P([{**GUARDIAN[0], "I.IC.TYPE": None}], ["I.IC.TYPE"], id="consent-type-missing"),
    P([{**GUARDIAN[0], "I.IC.SIGNER": "NEIGHBOUR"}], ["I.IC.SIGNER"], id="signer-code-unknown"),
])
def test_incomplete_consents_are_missing(consents, expected):
    criterion = run({}, consents, child)["IN11"]
    assert criterion.status == "missing" and criterion.missing == expected


def test_unreadable_consent_date_makes_age_missing():
    result = run({}, [consent("ADULT", "PARTICIPANT", "yesterday")] + ADULT)
    assert result["IN1"].missing == ["I.IC.DTC"] and result["IN11"].status == "missing"


# -- unreadable stored values count as missing and never raise -----------------------------------------

# Items whose bad value leaves every criterion decided (Kleene logic: only what can change the outcome
# is reported missing).
DECIDED_WITHOUT = {
    "I.CHEM.DTC",  # the age for eGFR falls back to the age at the first consent
    "I.HTWT.HEIGHT",  # an adult's CKD-EPI eGFR needs no height
    "I.HTWT.WEIGHT",  # not used: the glucocorticoid dose is per kg of I.PRIORTX.GCWT
    "I.PRIORTX.STDINT",  # the refractory path is met anyway
    "I.SLEHX.ANTI_DSDNA_OR_ANTI_SMITH", "I.SLEHX.LOW_C3_AND_LOW_C4",  # 16 points: >= 10 without either
    *(oid for oid in adult_woman() if oid.startswith("I.SLEDAI.")),  # the recorded total decides
    *(oid for oid, value in adult_woman().items()  # unticked items that cannot lower a passing score
      if value == "false" and oid.startswith(("I.SLEHX.", "I.PRIORTX."))),
}


@pytest.mark.parametrize("oid", sorted(adult_woman()))
def test_garbage_value_is_missing_never_an_error(oid):
    result = run({oid: "garbage"})
    assert result.failed == [], result.criteria
    named = [c.code for c in result.criteria if oid in c.missing]
    assert bool(named) != (oid in DECIDED_WITHOUT), result.criteria


@pytest.mark.parametrize("bad", ["", "  ", "NaN", "Infinity", "1e999999999", "-5", "0", "2026-02-30",
                                 "2026-11-02T25:00:00Z", "\x00", "true", "F", "ADULT"])
@pytest.mark.parametrize("base", [adult_woman, child])
def test_any_bad_value_anywhere_never_raises(bad, base):
    for oid in base():
        result = run({oid: bad}, base=base)
        assert {c.status for c in result.criteria} <= {"met", "not_met", "missing"}


def test_wrong_python_types_never_raise():
    values = {**adult_woman(), "I.CARDIO.LVEF": 60, "I.DM.BRTHDAT": None, "I.VS.SPO2": ["98"]}
    result = evaluate(values, [None, 42, {"I.IC.DTC": 5}])
    assert result["IN5"].missing == ["I.CARDIO.LVEF"]
    assert result["IN1"].status == result["IN11"].status == "missing"
    nothing = evaluate(None, None)  # type: ignore[arg-type]
    assert nothing.missing == [c.code for c in nothing.criteria]
