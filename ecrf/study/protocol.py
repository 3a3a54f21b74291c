"""Every protocol parameter in one place, with where the protocol says it.

Source: the protocol brief of CART19-SLE-IIT (NCT07331467; ``docs/reference/protocol-brief.md`` in this
repository) and the reference data beside it. Deployment configuration may override a few of them explicitly
(``ECRF_ENROLMENT_CAP``, ``DOSE_TOLERANCE_PERCENT`` ...); :func:`configure` applies those at start-up and
:func:`active` is what every rule reads. Nothing else holds these numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ecrf.clinical.dosing import DOSE_LEVELS_CELLS_PER_KG
from ecrf.clinical.icans import CAPD_AGE_CUTOFF


@dataclass(frozen=True)
class Protocol:
    #: cohort size: 18 participants (brief: "Design")
    enrolment_cap: int = 18
    #: IN1 "Age >= 5 years at consent"
    min_age_years: int = 5
    #: from this age a participant consents for themself (IN11)
    adult_age_years: int = 18
    #: children this old give assent besides the guardian's permission (IN11; ethics committee practice)
    assent_age_years: int = 8
    #: ICANS: the encephalopathy is scored with the CAPD below this age (completed years), with the ICE from it
    #: (brief, ASCO: "children < 12"; NCIt C188936 says "12 and under": set 13 for that reading;
    #: domain-reference.md 3c)
    icans_capd_below_age_years: float = CAPD_AGE_CUTOFF
    #: dose-limiting toxicity window after infusion, in days (brief: "DLT observation 28 days")
    dlt_days: int = 28
    #: days the sentinel subject of a dose level is observed before the next is infused
    sentinel_days: int = 14
    #: infused dose within this fraction of the prescribed dose per kg (domain-data.json
    #: ``dose_tolerance_fraction_common`` 0.2)
    infused_dose_tolerance: float = 0.20
    #: lymphodepletion doses within this fraction of mg/m2 x BSA unless a modification is recorded
    lymphodepletion_dose_tolerance: float = 0.10
    #: a negative pregnancy test within 72 h before lymphodepletion (brief: "Pregnancy tests")
    pregnancy_test_before_lymphodepletion_hours: int = 72
    #: and on the day of (or the day before) the infusion
    pregnancy_test_before_infusion_days: int = 1
    #: effective contraception for the first year after infusion (IN10)
    contraception_days: int = 365

    # -- inclusion thresholds, as the brief's eligibility table states them (IN3-IN8) --------------------
    #: IN3 refractory: glucocorticoid >= 1 mg/kg/d (prednisone equivalent) for >= 3 months, and >= 2
    #: immunosuppressants or biologics
    gc_high_dose_mg_per_kg_per_day: float = 1.0
    gc_min_months: int = 3
    min_immunosuppressants: int = 2
    #: IN4 "SLEDAI-2K >= 8"
    sledai_min: int = 8
    #: IN5 "LVEF >= 55 %"
    lvef_min_percent: int = 55
    #: IN6 "eGFR >= 30 mL/min/1.73 m2"
    egfr_min: float = 30.0
    #: IN7 "AST and ALT <= 3.0 x ULN; total bilirubin <= 2.0 x ULN" (decimal text: exact arithmetic)
    transaminase_max_uln: str = "3.0"
    bilirubin_max_uln: str = "2.0"
    #: IN8 "SpO2 >= 92 %" (on room air)
    spo2_min_percent: int = 92


    # -- plausible dates: what entry accepts, so a typo in the year is refused, never stored ----------------
    #: no date or date-time of this trial (births of the oldest participants included) is before this year
    earliest_plausible_year: int = 1900
    #: an item that allows future dates (planned visits, expiry dates) reaches at most this many years ahead:
    #: the 15-year long-term follow-up after a gene-modified cell therapy (FDA guidance, 2020) with margin
    max_future_years: int = 20

    # -- source-data verification (the monitoring plan's default; a site's plan may differ, ecrf.sdv) --------
    #: every item of the first subjects of each site is verified against source ...
    sdv_full_first_subjects: int = 3
    #: ... then "critical" items only (consent, eligibility, dosing, SAEs, endpoints), or "all", or "none"
    sdv_then: str = "critical"

    #: the registered CAR-T dose levels, cells/kg (1.5e5, 5e5, 1e6; ecrf.clinical.dosing cites the registry)
    dose_levels_cells_per_kg: tuple[float, ...] = DOSE_LEVELS_CELLS_PER_KG


PROTOCOL = Protocol()
_active = PROTOCOL

#: configuration keys that may override a parameter, and how a configured value becomes the parameter
OVERRIDES = {
    "ENROLMENT_CAP": ("enrolment_cap", int),
    "ASSENT_AGE": ("assent_age_years", int),
    "DLT_DAYS": ("dlt_days", int),
    "ICANS_CAPD_BELOW_AGE": ("icans_capd_below_age_years", float),
    "SENTINEL_DAYS": ("sentinel_days", int),
    "DOSE_TOLERANCE_PERCENT": ("infused_dose_tolerance", lambda percent: float(percent) / 100),
    "SDV_FULL_FIRST_SUBJECTS": ("sdv_full_first_subjects", int),
    "SDV_THEN": ("sdv_then", str),
}


def configure(config: dict | None = None, **parameters) -> Protocol:
    """Make PROTOCOL with the overrides found in ``config`` (and any ``parameters``) the active protocol."""
    global _active
    changes = {name: convert(config[key]) for key, (name, convert) in OVERRIDES.items()
               if config and config.get(key) is not None}
    known = {f.name for f in fields(Protocol)}
    unknown = set(parameters) - known
    if unknown:
        raise TypeError(f"unknown protocol parameter(s): {', '.join(sorted(unknown))}")
    _active = replace(PROTOCOL, **changes, **parameters)
    return _active


def active() -> Protocol:
    """The protocol in force in this process."""
    return _active
