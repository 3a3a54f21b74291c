"""Clinical calculators for the CD19 CAR-T in refractory SLE trial.

Pure functions over plain values (stdlib only: no Flask, no database). Each module cites its
source; each exposes formula-version constants so a stored result can record how it was made.
Invalid input raises ValueError.
"""
from ecrf.clinical.body import age_years, bsa_mosteller, is_child
from ecrf.clinical.crs import crs_grade, hypotension_level, hypoxia_level
from ecrf.clinical.dosing import (
    DOSE_LEVELS_CELLS_PER_KG,
    DoseCheck,
    acceptable_range,
    cells_per_kg,
    check_infused_dose,
    lymphodepletion_dose_mg,
    total_cells,
)
from ecrf.clinical.eular_acr import Classification, ana_entry_met, classify
from ecrf.clinical.icans import assessment_tool, capd_total, icans_domain_grades, icans_grade, ice_score
from ecrf.clinical.outcomes import OutcomeResult, doris_remission, lldas, new_bilag_counts, sri4
from ecrf.clinical.renal import (
    EgfrResult,
    ckd_epi_2021,
    creatinine_mg_dl_to_umol,
    creatinine_umol_to_mg_dl,
    egfr,
    meets_egfr_inclusion,
    schwartz_bedside,
)
from ecrf.clinical.sledai import DESCRIPTORS, clinical_sledai, sledai_2k_total, sledai_band
from ecrf.clinical.steroids import (
    is_high_dose,
    mg_per_kg_per_day,
    prednisone_equivalent_mg,
    prednisone_equivalent_mg_per_kg,
)
from ecrf.clinical.wocbp import WocbpStatus, is_postmenopausal, is_wocbp, wocbp_status

__all__ = [
    "DESCRIPTORS", "DOSE_LEVELS_CELLS_PER_KG", "Classification", "DoseCheck", "EgfrResult", "OutcomeResult",
    "WocbpStatus", "acceptable_range", "age_years", "ana_entry_met", "assessment_tool", "bsa_mosteller",
    "capd_total", "cells_per_kg", "check_infused_dose", "ckd_epi_2021", "classify", "clinical_sledai",
    "creatinine_mg_dl_to_umol", "creatinine_umol_to_mg_dl", "crs_grade", "doris_remission", "egfr",
    "hypotension_level", "hypoxia_level", "icans_domain_grades", "icans_grade", "ice_score", "is_child",
    "is_high_dose", "is_postmenopausal", "is_wocbp", "lldas", "lymphodepletion_dose_mg", "meets_egfr_inclusion",
    "mg_per_kg_per_day", "new_bilag_counts", "prednisone_equivalent_mg", "prednisone_equivalent_mg_per_kg",
    "schwartz_bedside", "sledai_2k_total", "sledai_band", "sri4", "total_cells", "wocbp_status",
]
