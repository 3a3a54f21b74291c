"""2019 EULAR/ACR classification criteria for SLE.

Source: Aringer M et al. Ann Rheum Dis 2019;78:1151-59 (weights as the MSD Manual table and
neurolrespract.biomedcentral.com 10.1186/s42466-019-0016-2 Table 7). Entry criterion: ANA
>= 1:80 on HEp-2 cells (or equivalent) at least once. Only the highest-weighted item of each
domain counts. Classified as SLE at >= 10 points with at least one clinical criterion.
Seizure weighs 5 (the Vanderbilt IM wiki's 4 is wrong).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ecrf.clinical import _checks

FORMULA_VERSION = "EULAR/ACR 2019 SLE classification (Aringer 2019)"
ANA_MIN_TITRE_DENOMINATOR = 80  # ANA >= 1:80
CLASSIFICATION_THRESHOLD = 10  # total >= 10 points


@dataclass(frozen=True)
class Criterion:
    """One weighted criterion item."""

    id: str
    label: str
    weight: int


@dataclass(frozen=True)
class Domain:
    """A criterion domain: 'clinical' or 'immunologic', with its items."""

    id: str
    label: str
    type: str
    items: tuple[Criterion, ...]


DOMAINS: tuple[Domain, ...] = (
    Domain("constitutional", "Constitutional", "clinical", (
        Criterion("fever", "Fever >38.3 degC", 2),
    )),
    Domain("hematologic", "Hematologic", "clinical", (
        Criterion("leukopenia", "Leukopenia (WBC <4.0 x10^9/L)", 3),
        Criterion("thrombocytopenia", "Thrombocytopenia (platelets <100 x10^9/L)", 4),
        Criterion("autoimmune_hemolysis", "Autoimmune hemolysis", 4),
    )),
    Domain("neuropsychiatric", "Neuropsychiatric", "clinical", (
        Criterion("delirium", "Delirium", 2),
        Criterion("psychosis", "Psychosis", 3),
        Criterion("seizure", "Seizure", 5),
    )),
    Domain("mucocutaneous", "Mucocutaneous", "clinical", (
        Criterion("non_scarring_alopecia", "Non-scarring alopecia", 2),
        Criterion("oral_ulcers", "Oral ulcers", 2),
        Criterion("subacute_cutaneous_or_discoid_lupus", "Subacute cutaneous OR discoid lupus", 4),
        Criterion("acute_cutaneous_lupus", "Acute cutaneous lupus", 6),
    )),
    Domain("serosal", "Serosal", "clinical", (
        Criterion("pleural_or_pericardial_effusion", "Pleural or pericardial effusion", 5),
        Criterion("acute_pericarditis", "Acute pericarditis", 6),
    )),
    Domain("musculoskeletal", "Musculoskeletal", "clinical", (
        Criterion("joint_involvement", "Joint involvement", 6),
    )),
    Domain("renal", "Renal", "clinical", (
        Criterion("proteinuria", "Proteinuria >0.5 g/24 h", 4),
        Criterion("ln_class_ii_or_v", "Renal biopsy class II or V lupus nephritis", 8),
        Criterion("ln_class_iii_or_iv", "Renal biopsy class III or IV lupus nephritis", 10),
    )),
    Domain("antiphospholipid", "Antiphospholipid antibodies", "immunologic", (
        Criterion("apl_positive", "Anti-cardiolipin OR anti-beta2GP1 OR lupus anticoagulant", 2),
    )),
    Domain("complement", "Complement proteins", "immunologic", (
        Criterion("low_c3_or_low_c4", "Low C3 OR low C4", 3),
        Criterion("low_c3_and_low_c4", "Low C3 AND low C4", 4),
    )),
    Domain("sle_specific_antibodies", "SLE-specific antibodies", "immunologic", (
        Criterion("anti_dsdna_or_anti_smith", "Anti-dsDNA OR anti-Smith antibody", 6),
    )),
)

ITEM_IDS: frozenset[str] = frozenset(c.id for d in DOMAINS for c in d.items)
MAX_POINTS = {
    kind: sum(max(c.weight for c in d.items) for d in DOMAINS if d.type == kind)
    for kind in ("clinical", "immunologic")
}  # clinical 39, immunologic 12


@dataclass(frozen=True)
class Classification:
    """Outcome of the criteria; the point totals are None when the ANA entry criterion is not met."""

    entry_met: bool
    clinical_points: int | None
    immunology_points: int | None
    total: int | None
    has_clinical: bool
    classified: bool
    counted: tuple[str, ...] = ()  # the item counted in each scoring domain


def ana_entry_met(titre_denominator: int) -> bool:
    """Return True if an ANA titre 1:N (given as N) meets the >= 1:80 entry criterion."""
    _checks.integer("ANA titre denominator", titre_denominator, 0, 10**9)
    return titre_denominator >= ANA_MIN_TITRE_DENOMINATOR


def classify(ana_titre_positive: bool, items: Iterable[str]) -> Classification:
    """Score the criteria items present (each 'ever present, attributable to SLE') and classify."""
    _checks.flag("ana_titre_positive", ana_titre_positive)
    present = _checks.id_set("EULAR/ACR 2019 item id(s)", items, ITEM_IDS)
    if not ana_titre_positive:
        return Classification(False, None, None, None, False, False)
    points = {"clinical": 0, "immunologic": 0}
    counted: list[str] = []
    for domain in DOMAINS:
        hits = [c for c in domain.items if c.id in present]
        if hits:
            best = max(hits, key=lambda c: c.weight)
            points[domain.type] += best.weight
            counted.append(best.id)
    total = points["clinical"] + points["immunologic"]
    has_clinical = any(c.id in present for d in DOMAINS if d.type == "clinical" for c in d.items)
    classified = total >= CLASSIFICATION_THRESHOLD and has_clinical
    return Classification(True, points["clinical"], points["immunologic"], total, has_clinical, classified,
                          tuple(counted))
