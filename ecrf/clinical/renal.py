"""Creatinine units and eGFR: bedside Schwartz 2009 under 18, CKD-EPI 2021 (race-free) from 18.

Sources: kidney.org "bedside Schwartz" 2009 page (eGFR = 0.413 x height cm / SCr mg/dL; for
IDMS-traceable creatinine); kidney.org/ckd-epi-creatinine-equation-2021 and the NIDDK adult GFR
page (Inker NEJM 2021). Unit factor 88.4 umol/L per mg/dL (kidney.org). eGFR in mL/min/1.73 m2.
"""
from __future__ import annotations

from dataclasses import dataclass

from ecrf.clinical import _checks, lab_units

# the factor is declared with every other lab unit in ecrf.clinical.lab_units (one home)
UMOL_PER_L_PER_MG_DL = float(lab_units.CONVERSIONS["CREAT"].factor("mg/dL"))
CREATININE_VERSION = "creatinine umol/L = mg/dL x 88.4 (kidney.org)"

SCHWARTZ_K = 0.413  # bedside Schwartz 2009; the old k of 0.55 overestimates by 20-40 %
SCHWARTZ_VERSION = "bedside Schwartz 2009 (k=0.413, height cm, SCr mg/dL)"
SCHWARTZ_MIN_AGE = 1  # validated for children aged 1-18

# CKD-EPI 2021 creatinine equation without race (Inker LA et al. N Engl J Med 2021;385:1737).
CKD_EPI_VERSION = "CKD-EPI 2021 creatinine, race-free"
CKD_EPI_A = 142.0
CKD_EPI_KAPPA = {"female": 0.7, "male": 0.9}
CKD_EPI_ALPHA = {"female": -0.241, "male": -0.302}
CKD_EPI_UPPER_EXPONENT = -1.200
CKD_EPI_AGE_BASE = 0.9938
CKD_EPI_FEMALE_FACTOR = 1.012

ADULT_AGE = 18  # age < 18 at the sample -> Schwartz; >= 18 -> CKD-EPI (NIDDK; protocol rule)
EGFR_INCLUSION_MIN = 30.0  # inclusion: eGFR >= 30 mL/min/1.73 m2

EQUATION_SCHWARTZ = "bedside Schwartz 2009"
EQUATION_CKD_EPI = "CKD-EPI 2021"


@dataclass(frozen=True)
class EgfrResult:
    """An eGFR value (mL/min/1.73 m2, unrounded) with the equation and formula version used."""

    value: float
    equation: str
    formula_version: str


def creatinine_umol_to_mg_dl(umol_per_l: float) -> float:
    """Convert serum creatinine from umol/L to mg/dL (divide by 88.4)."""
    return _checks.positive("creatinine (umol/L)", umol_per_l) / UMOL_PER_L_PER_MG_DL


def creatinine_mg_dl_to_umol(mg_dl: float) -> float:
    """Convert serum creatinine from mg/dL to umol/L (multiply by 88.4)."""
    return _checks.positive("creatinine (mg/dL)", mg_dl) * UMOL_PER_L_PER_MG_DL


def schwartz_bedside(height_cm: float, creatinine_mg_dl: float) -> float:
    """Return the bedside Schwartz 2009 eGFR: 0.413 x height (cm) / creatinine (mg/dL)."""
    height = _checks.positive("height (cm)", height_cm)
    scr = _checks.positive("creatinine (mg/dL)", creatinine_mg_dl)
    return SCHWARTZ_K * height / scr


def ckd_epi_2021(creatinine_mg_dl: float, age_years: float, sex: str) -> float:
    """Return the CKD-EPI 2021 race-free creatinine eGFR for an adult (age >= 18)."""
    scr = _checks.positive("creatinine (mg/dL)", creatinine_mg_dl)
    age = _checks.number("age (years)", age_years)
    if age < ADULT_AGE:
        raise ValueError(f"CKD-EPI 2021 is for age >= {ADULT_AGE}; got age {age_years!r} (use bedside Schwartz)")
    sex = _checks.sex(sex)
    ratio = scr / CKD_EPI_KAPPA[sex]
    value = (CKD_EPI_A
             * min(ratio, 1.0) ** CKD_EPI_ALPHA[sex]
             * max(ratio, 1.0) ** CKD_EPI_UPPER_EXPONENT
             * CKD_EPI_AGE_BASE ** age)
    return value * CKD_EPI_FEMALE_FACTOR if sex == "female" else value


def egfr(creatinine_mg_dl: float, age_years: float, sex: str, height_cm: float | None = None) -> EgfrResult:
    """Return eGFR by bedside Schwartz under 18 (needs height) or CKD-EPI 2021 from 18."""
    age = _checks.number("age (years)", age_years)
    if age < SCHWARTZ_MIN_AGE:
        raise ValueError(f"eGFR equations here are for age >= {SCHWARTZ_MIN_AGE} year; got {age_years!r}")
    if age >= ADULT_AGE:
        return EgfrResult(ckd_epi_2021(creatinine_mg_dl, age, sex), EQUATION_CKD_EPI, CKD_EPI_VERSION)
    _checks.sex(sex)  # not used by Schwartz, but still a required, valid answer
    if height_cm is None:
        raise ValueError("height (cm) is required for the bedside Schwartz eGFR under age 18")
    return EgfrResult(schwartz_bedside(height_cm, creatinine_mg_dl), EQUATION_SCHWARTZ, SCHWARTZ_VERSION)


def meets_egfr_inclusion(value: float, minimum: float = EGFR_INCLUSION_MIN) -> bool:
    """Return True if an eGFR meets the inclusion minimum (default >= 30 mL/min/1.73 m2)."""
    return _checks.non_negative("eGFR", value) >= minimum
