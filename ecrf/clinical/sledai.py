"""SLEDAI-2K: the 24 weighted descriptors, the total, its activity band and the clinical SLEDAI.

Source: Gladman DD, Ibanez D, Urowitz MB. SLEDAI-2K. J Rheumatol 2002;29:288-91
(weights as medicalcriteria.com/web/reusledai and the pediatriconcall SLEDAI-2K calculator).
A descriptor scores its full weight if present, attributable to SLE, at the visit or in the
look-back window (10 days; 30 days in Touma, Lupus 2010;19:49). Range 0-105.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ecrf.clinical import _checks

FORMULA_VERSION = "SLEDAI-2K (Gladman 2002)"
CLINICAL_SLEDAI_VERSION = "clinical SLEDAI-2K: total without serology (DORIS 2021)"
LOOKBACK_DAYS = 10
LOOKBACK_DAYS_30_DAY_VARIANT = 30


@dataclass(frozen=True)
class Descriptor:
    """One SLEDAI-2K descriptor: its number, id, label, organ system, weight and laboratory flag."""

    number: int
    id: str
    label: str
    system: str
    weight: int
    laboratory: bool


DESCRIPTORS: tuple[Descriptor, ...] = (
    Descriptor(1, "seizure", "Seizure", "CNS", 8, False),
    Descriptor(2, "psychosis", "Psychosis", "CNS", 8, False),
    Descriptor(3, "organic_brain_syndrome", "Organic brain syndrome", "CNS", 8, False),
    Descriptor(4, "visual_disturbance", "Visual disturbance", "CNS (ocular)", 8, False),
    Descriptor(5, "cranial_nerve_disorder", "Cranial nerve disorder", "CNS", 8, False),
    Descriptor(6, "lupus_headache", "Lupus headache", "CNS", 8, False),
    Descriptor(7, "cva", "Cerebrovascular accident", "CNS", 8, False),
    Descriptor(8, "vasculitis", "Vasculitis", "Vascular", 8, False),
    Descriptor(9, "arthritis", "Arthritis", "Musculoskeletal", 4, False),
    Descriptor(10, "myositis", "Myositis", "Musculoskeletal", 4, False),
    Descriptor(11, "urinary_casts", "Urinary casts", "Renal", 4, True),
    Descriptor(12, "hematuria", "Haematuria", "Renal", 4, True),
    Descriptor(13, "proteinuria", "Proteinuria", "Renal", 4, True),
    Descriptor(14, "pyuria", "Pyuria", "Renal", 4, True),
    Descriptor(15, "rash", "Rash", "Dermal", 2, False),
    Descriptor(16, "alopecia", "Alopecia", "Dermal", 2, False),  # 2, not 1 (a public calculator has 1)
    Descriptor(17, "mucosal_ulcers", "Mucosal ulcers", "Dermal (mucosal)", 2, False),
    Descriptor(18, "pleurisy", "Pleurisy", "Serosal", 2, False),
    Descriptor(19, "pericarditis", "Pericarditis", "Serosal", 2, False),
    Descriptor(20, "low_complement", "Low complement", "Immunologic", 2, True),
    Descriptor(21, "increased_dna_binding", "Increased DNA binding", "Immunologic", 2, True),
    Descriptor(22, "fever", "Fever", "Constitutional", 1, False),
    Descriptor(23, "thrombocytopenia", "Thrombocytopenia", "Haematologic", 1, True),
    Descriptor(24, "leukopenia", "Leukopenia", "Haematologic", 1, True),
)

WEIGHTS: dict[str, int] = {d.id: d.weight for d in DESCRIPTORS}
# Serology items left out of the clinical SLEDAI (DORIS 2021, van Vollenhoven Lupus Sci Med 2021).
SEROLOGY_IDS: frozenset[str] = frozenset({"low_complement", "increased_dna_binding"})
MAX_TOTAL = sum(WEIGHTS.values())  # 105

# Activity bands (ARD table 278401): 0 none, 1-4 low, 5-10 moderate, >10 high.
BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 0, "none"),
    (1, 4, "low"),
    (5, 10, "moderate"),
    (11, MAX_TOTAL, "high"),
)


def _present(present: Iterable[str]) -> frozenset[str]:
    """Validate descriptor ids and return them as a set."""
    return _checks.id_set("SLEDAI-2K descriptor id(s)", present, WEIGHTS)


def sledai_2k_total(present: Iterable[str]) -> int:
    """Return the SLEDAI-2K total (0-105) for the ids of the descriptors present."""
    return sum(WEIGHTS[i] for i in _present(present))


def clinical_sledai(present: Iterable[str]) -> int:
    """Return the SLEDAI-2K total without the serology items (low complement, DNA binding)."""
    return sum(WEIGHTS[i] for i in _present(present) - SEROLOGY_IDS)


def sledai_band(total: int) -> str:
    """Return the activity band of a SLEDAI-2K total: 'none', 'low', 'moderate' or 'high'."""
    _checks.integer("SLEDAI-2K total", total, 0, MAX_TOTAL)
    for low, high, label in BANDS:
        if low <= total <= high:
            return label
    raise AssertionError("bands cover 0-105")  # pragma: no cover
