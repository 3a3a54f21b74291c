"""DORIS 2021 remission, LLDAS and SRI-4 at one visit, from what was stored, each with why it is not met.

The definitions are the tested functions of ``ecrf.clinical.outcomes`` (their sources are cited there); this module
only gathers their inputs from a visit, says "cannot assess: <what is missing>" (by the items' labels) when an input
is not stored, and words the failed criteria for a reader.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ecrf.clinical import outcomes, sledai
from ecrf.study.definition import load as load_study

_LABELS = {d.id: d.label for d in sledai.DESCRIPTORS}


@dataclass(frozen=True)
class Outcome:
    """Met (True), not met (False) or not assessable (None), with the reason (empty only when met)."""

    met: bool | None
    reason: str


def label(oid: str) -> str:
    """The item's label, as a reader knows it (never the OID)."""
    item = load_study().items.get(oid)
    return item.label if item else oid


def cannot_assess(missing: list[str]) -> Outcome:
    return Outcome(None, "cannot assess: " + ", ".join(missing))


def _worded(result: outcomes.OutcomeResult, words: dict[str, Callable[[], str]]) -> Outcome:
    if result.met:
        return Outcome(True, "met")
    return Outcome(False, "; ".join(words[name]() for name in result.failed))


def _descriptors(ids) -> str:
    return ", ".join(_LABELS[i] for i in sorted(ids, key=list(_LABELS).index))


def doris(visit) -> Outcome:
    """DORIS 2021 remission: clinical SLEDAI 0, PGA < 0.5, prednisone-equivalent <= 5 mg/day."""
    missing = [label(oid) for oid, value in (("I.SLEDAI.CTOTAL", visit.csledai), ("I.PGA.SCORE", visit.pga),
                                             ("I.GCIS.GCPREDEQ", visit.prednisone_mg)) if value is None]
    if missing:
        return cannot_assess(missing)
    result = outcomes.doris_remission(visit.csledai, visit.pga, visit.prednisone_mg)
    return _worded(result, {
        "clinical_sledai_0": lambda: f"clinical SLEDAI {visit.csledai} (needs 0)",
        "pga": lambda: f"PGA {visit.pga:g} (needs below 0.5)",
        "prednisolone": lambda: f"prednisone-equivalent {visit.prednisone_mg:g} mg/day (needs 5 or less)",
    })


def lldas(visit, previous) -> Outcome:
    """LLDAS against the previous SLEDAI-2K assessment (new activity) with the BILAG GI grade and haemolysis."""
    gi = visit.bilag.get("gastrointestinal")
    missing = [label(oid) for oid, value in (
        ("I.SLEDAI.TOTAL", visit.sledai), ("I.PGA.SCORE", visit.pga), ("I.GCIS.GCPREDEQ", visit.prednisone_mg),
        ("I.BILAG.GASTROINTESTINAL", gi), ("I.BILAG.HAEMOLYSIS", visit.haemolysis)) if value is None]
    if previous is None:
        missing.append("a previous SLEDAI-2K assessment (new activity)")
    if missing:
        return cannot_assess(missing)
    new = outcomes.new_sledai_activity(previous.present, visit.present)
    gi_active = outcomes.bilag_gi_active(gi)
    result = outcomes.lldas(visit.present, pga=visit.pga, pred_eq_mg_per_day=visit.prednisone_mg,
                            new_activity=bool(new), hemolytic_anaemia_or_gi_activity=visit.haemolysis or gi_active)
    return _worded(result, {
        "sledai_2k": lambda: f"SLEDAI-2K {visit.sledai} (needs 4 or less)",
        "no_major_organ_activity": lambda: "major organ activity: "
                                           + _descriptors(visit.present & outcomes.LLDAS_MAJOR_ORGAN_IDS),
        "no_hemolytic_anaemia_or_gi_activity": lambda: " and ".join(
            w for w, on in (("haemolytic anaemia", visit.haemolysis),
                            (f"gastrointestinal activity (BILAG {gi})", gi_active)) if on),
        "no_new_activity": lambda: f"new activity since {previous.label}: {_descriptors(new)}",
        "pga": lambda: f"PGA {visit.pga:g} (needs 1 or less)",
        "prednisolone": lambda: f"prednisone-equivalent {visit.prednisone_mg:g} mg/day (needs 7.5 or less)",
    })


def _bilag_complete(grades: dict) -> bool:
    return all(grades.get(d) for d in outcomes.BILAG_DOMAINS)


def sri4(visit, baseline) -> Outcome:
    """SRI-4 against the baseline (screening) visit."""
    if baseline is not None and visit.event_oid == baseline.event_oid:
        return Outcome(None, "not applicable: this is the baseline visit")
    missing = []
    for when, v in (("baseline", baseline), ("", visit)):
        prefix = f"{when} " if when else ""
        if v is None:
            missing.append(f"{prefix}visit")
            continue
        missing += [prefix + label(oid) for oid, value in (("I.SLEDAI.TOTAL", v.sledai), ("I.PGA.SCORE", v.pga))
                    if value is None]
        if not _bilag_complete(v.bilag):
            missing.append(f"{prefix}BILAG-2004 (all nine domains)")
    if missing:
        return cannot_assess(missing)
    new_a, new_b = outcomes.new_bilag_counts({d: baseline.bilag[d] for d in outcomes.BILAG_DOMAINS},
                                             {d: visit.bilag[d] for d in outcomes.BILAG_DOMAINS})
    result = outcomes.sri4(baseline.sledai, visit.sledai, new_a, new_b, baseline.pga, visit.pga)
    return _worded(result, {
        "sledai_reduction_ge_4": lambda: f"SLEDAI-2K {baseline.sledai} at baseline, {visit.sledai} now: reduction "
                                         f"{baseline.sledai - visit.sledai} (needs 4 or more)",
        "no_new_bilag_a": lambda: f"{new_a} new BILAG A",
        "at_most_1_new_bilag_b": lambda: f"{new_b} new BILAG B (1 at most)",
        "pga_increase_lt_0_3": lambda: f"PGA {baseline.pga:g} at baseline, {visit.pga:g} now: rise "
                                       f"{visit.pga - baseline.pga:.1f} (needs below 0.3)",
    })
