"""SLE outcome definitions: DORIS 2021 remission, LLDAS and SRI-4.

Sources:
- DORIS 2021: van Vollenhoven R et al. Lupus Sci Med 2021;8:e000538 - clinical SLEDAI 0
  (serology ignored), PGA < 0.5 (0-3), prednisolone equivalent <= 5 mg/day ("5 mg/day or less";
  the BMJ table prints "<5": set ``strict_prednisone``), stable antimalarials/IS/biologics allowed.
- LLDAS: Franklyn K et al. Ann Rheum Dis 2016;75:1615 - SLEDAI-2K <= 4 without major-organ
  activity (renal, CNS, cardiopulmonary, vasculitis, fever), no haemolytic anaemia or GI
  activity, no new activity, PGA <= 1, prednisolone <= 7.5 mg/day, standard maintenance therapy.
- SRI-4 (vs baseline): SLEDAI reduction >= 4, no new BILAG-2004 A, <= 1 new B, PGA increase < 0.3.
- LLDAS "no new features of lupus disease activity compared with the previous assessment" (Franklyn 2016,
  criterion 2) is read from the SLEDAI-2K descriptors: a descriptor present now and absent at the previous
  assessment is a new feature (``new_sledai_activity``); "no haemolytic anaemia or gastrointestinal activity"
  (criterion 1) from the BILAG-2004 gastrointestinal domain graded A, B or C (active; D is previously active,
  E never involved: Isenberg, Rheumatology 2005;44:902) and the haemolytic anaemia answer.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ecrf.clinical import _checks
from ecrf.clinical.sledai import MAX_TOTAL, WEIGHTS, sledai_2k_total

DORIS_VERSION = "DORIS 2021 remission (van Vollenhoven 2021)"
LLDAS_VERSION = "LLDAS (Franklyn 2016)"
SRI4_VERSION = "SRI-4 (SLEDAI -4, BILAG-2004, PGA)"

PGA_MAX = 3.0  # physician global assessment, 0-3
_PGA_DECIMALS = 6  # PGA differences are compared after rounding (0.7 - 0.4 must be 0.3, not 0.2999...)

# SLEDAI-2K descriptors that are LLDAS "major organ" activity: CNS, vasculitis, renal,
# cardiopulmonary (serosal) and fever.
LLDAS_MAJOR_ORGAN_IDS: frozenset[str] = frozenset({
    "seizure", "psychosis", "organic_brain_syndrome", "visual_disturbance", "cranial_nerve_disorder",
    "lupus_headache", "cva", "vasculitis", "urinary_casts", "hematuria", "proteinuria", "pyuria",
    "pleurisy", "pericarditis", "fever",
})
BILAG_DOMAINS: tuple[str, ...] = (
    "constitutional", "mucocutaneous", "neuropsychiatric", "musculoskeletal", "cardiorespiratory",
    "gastrointestinal", "ophthalmic", "renal", "haematological",
)
BILAG_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class OutcomeResult:
    """Whether an outcome definition is met, the criteria that failed, and the definition version."""

    met: bool
    failed: tuple[str, ...]
    version: str


def _result(checks: dict[str, bool], version: str) -> OutcomeResult:
    """Build the result: met when no criterion failed."""
    failed = tuple(name for name, ok in checks.items() if not ok)
    return OutcomeResult(not failed, failed, version)


def _pga(name: str, value: float) -> float:
    """Check a physician global assessment is on the 0-3 scale."""
    return _checks.in_range(name, value, 0.0, PGA_MAX)


def doris_remission(clinical_sledai: int, pga: float, pred_eq_mg_per_day: float, *,
                    max_pred_mg_per_day: float = 5.0, strict_prednisone: bool = False,
                    pga_below: float = 0.5) -> OutcomeResult:
    """Return DORIS 2021 remission: clinical SLEDAI 0, PGA < 0.5, prednisolone-eq <= 5 mg/day."""
    _checks.integer("clinical SLEDAI", clinical_sledai, 0, MAX_TOTAL)
    pga = _pga("PGA", pga)
    pred = _checks.non_negative("prednisolone equivalent (mg/day)", pred_eq_mg_per_day)
    limit = _checks.non_negative("maximum prednisolone (mg/day)", max_pred_mg_per_day)
    return _result({
        "clinical_sledai_0": clinical_sledai == 0,
        "pga": pga < pga_below,
        "prednisolone": pred < limit if _checks.flag("strict_prednisone", strict_prednisone) else pred <= limit,
    }, DORIS_VERSION)


def lldas(sledai_present: Iterable[str], *, pga: float, pred_eq_mg_per_day: float, new_activity: bool,
          hemolytic_anaemia_or_gi_activity: bool, standard_maintenance_only: bool = True,
          max_pred_mg_per_day: float = 7.5, max_sledai: int = 4, max_pga: float = 1.0) -> OutcomeResult:
    """Return LLDAS from the SLEDAI-2K descriptors present and the other four criteria."""
    present = _checks.id_set("SLEDAI-2K descriptor id(s)", sledai_present, WEIGHTS)
    total = sledai_2k_total(present)
    pga = _pga("PGA", pga)
    pred = _checks.non_negative("prednisolone equivalent (mg/day)", pred_eq_mg_per_day)
    return _result({
        "sledai_2k": total <= max_sledai,
        "no_major_organ_activity": not (present & LLDAS_MAJOR_ORGAN_IDS),
        "no_hemolytic_anaemia_or_gi_activity": not _checks.flag("hemolytic_anaemia_or_gi_activity",
                                                                hemolytic_anaemia_or_gi_activity),
        "no_new_activity": not _checks.flag("new_activity", new_activity),
        "pga": pga <= max_pga,
        "prednisolone": pred <= _checks.non_negative("maximum prednisolone (mg/day)", max_pred_mg_per_day),
        "standard_maintenance_only": _checks.flag("standard_maintenance_only", standard_maintenance_only),
    }, LLDAS_VERSION)


def new_bilag_counts(baseline: Mapping[str, str], follow_up: Mapping[str, str]) -> tuple[int, int]:
    """Return (new A, new B) BILAG-2004 domain counts: A not A at baseline; B that was C, D or E."""
    for name, grades in (("baseline", baseline), ("follow-up", follow_up)):
        if set(grades) != set(BILAG_DOMAINS):
            raise ValueError(f"{name} BILAG-2004 must grade exactly the 9 domains: {', '.join(BILAG_DOMAINS)}")
        for domain, grade in grades.items():
            _checks.choice(f"BILAG-2004 grade for {domain}", grade, BILAG_GRADES)
    new_a = sum(1 for d in BILAG_DOMAINS if follow_up[d] == "A" and baseline[d] != "A")
    new_b = sum(1 for d in BILAG_DOMAINS if follow_up[d] == "B" and baseline[d] in ("C", "D", "E"))
    return new_a, new_b


def new_sledai_activity(previous_present: Iterable[str], present: Iterable[str]) -> frozenset[str]:
    """Return the SLEDAI-2K descriptors present now that were absent at the previous assessment (LLDAS 2)."""
    before = _checks.id_set("previous SLEDAI-2K descriptor id(s)", previous_present, WEIGHTS)
    return _checks.id_set("SLEDAI-2K descriptor id(s)", present, WEIGHTS) - before


#: BILAG-2004 grades meaning current activity (A severe, B moderate, C mild)
BILAG_ACTIVE: frozenset[str] = frozenset({"A", "B", "C"})


def bilag_gi_active(grade: str) -> bool:
    """Return whether a BILAG-2004 gastrointestinal grade is current activity (A, B or C), for LLDAS 1."""
    return _checks.choice("BILAG-2004 gastrointestinal grade", grade, BILAG_GRADES) in BILAG_ACTIVE


def sri4(sledai_baseline: int, sledai_follow_up: int, new_bilag_a: int, new_bilag_b: int,
         pga_baseline: float, pga_follow_up: float) -> OutcomeResult:
    """Return SRI-4: SLEDAI fall >= 4, no new BILAG A, <= 1 new BILAG B, PGA rise < 0.3 (vs baseline)."""
    _checks.integer("baseline SLEDAI", sledai_baseline, 0, MAX_TOTAL)
    _checks.integer("follow-up SLEDAI", sledai_follow_up, 0, MAX_TOTAL)
    _checks.integer("new BILAG A domains", new_bilag_a, 0, len(BILAG_DOMAINS))
    _checks.integer("new BILAG B domains", new_bilag_b, 0, len(BILAG_DOMAINS))
    pga_rise = round(_pga("follow-up PGA", pga_follow_up) - _pga("baseline PGA", pga_baseline), _PGA_DECIMALS)
    return _result({
        "sledai_reduction_ge_4": sledai_baseline - sledai_follow_up >= 4,
        "no_new_bilag_a": new_bilag_a == 0,
        "at_most_1_new_bilag_b": new_bilag_b <= 1,
        "pga_increase_lt_0_3": pga_rise < 0.3,
    }, SRI4_VERSION)
