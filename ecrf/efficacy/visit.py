"""One visit's efficacy inputs, read from the stored values of F.SLEDAI, F.PGA, F.BILAG and F.GCIS.

The SLEDAI-2K total, the clinical SLEDAI and the prednisone-equivalent dose are recomputed from the stored answers
by the study's own calculators (ecrf.study.calculators), so a form saved before a calculated item existed reads the
same as one saved after.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ecrf.clinical import outcomes, sledai
from ecrf.efficacy.assess import Outcome
from ecrf.study import calculators, codec
from ecrf.study.crfs import codelists
from ecrf.study.schedule import study_day
from ecrf.study.types import StudyEvent

_PENDING = Outcome(None, "not assessed")


@dataclass
class VisitEfficacy:
    event_oid: str
    label: str
    date: date | None
    study_day: int | None
    sledai: int | None
    csledai: int | None
    pga: float | None
    prednisone_mg: float | None
    antimalarial: bool | None
    immunosuppressants: list[str] | None
    bilag: dict[str, str]
    haemolysis: bool | None
    #: the SLEDAI-2K descriptor ids present (meaningful when ``sledai`` is not None)
    present: frozenset[str] = frozenset()
    doris: Outcome = _PENDING
    lldas: Outcome = _PENDING
    sri4: Outcome = _PENDING
    formulas: dict[str, str] = field(default_factory=dict)


def _int(calc) -> int | None:
    return None if calc.value is None else int(calc.value)


def _bool(value: str | None) -> bool | None:
    return None if value is None else value == "true"


def read_visit(event: StudyEvent, stored: dict[str, dict], actual: date | None, day0: date | None) -> VisitEfficacy:
    """The visit's values from ``stored`` ({form OID: {item OID: stored value}})."""
    sl, pga, bilag, gcis = (stored[f] for f in ("F.SLEDAI", "F.PGA", "F.BILAG", "F.GCIS"))
    total = calculators.sledai_total(sl, {}, None)
    clinical = calculators.clinical_sledai_total(sl, {}, None)
    present = frozenset(d.id for d in sledai.DESCRIPTORS if sl.get(f"I.SLEDAI.{d.id.upper()}") == "true")
    on = next((d for d in (codec.decode_date(sl.get("I.SLEDAI.DAT")), codec.decode_date(pga.get("I.PGA.DAT")),
                           codec.decode_date(bilag.get("I.BILAG.DAT")), codec.decode_date(gcis.get("I.GCIS.DAT")),
                           actual) if d), None)
    score = codec.decode_decimal(pga.get("I.PGA.SCORE"))
    prednisone, formulas = None, {}
    if gcis.get("I.GCIS.GCYN") == "false":
        prednisone = 0.0
    elif gcis.get("I.GCIS.GCYN") == "true":
        calc = calculators.prednisone_equivalent(gcis, {}, None)
        prednisone = None if calc.value is None else float(calc.value)
        if calc.formula:
            formulas["prednisone"] = calc.formula
    for name, calc in (("sledai", total), ("csledai", clinical)):
        if calc.formula:
            formulas[name] = calc.formula
    agents = None
    if gcis.get("I.GCIS.ISYN") is not None:
        agents = [drug for code, drug in codelists.IMMUNOSUPPRESSANTS if gcis.get(f"I.GCIS.{code}") == "true"]
        if gcis.get("I.GCIS.ISOTHER"):
            agents.append(gcis["I.GCIS.ISOTHER"])
    return VisitEfficacy(
        event_oid=event.oid, label=event.label, date=on,
        study_day=study_day(on, day0),
        sledai=_int(total), csledai=_int(clinical), pga=None if score is None else float(score),
        prednisone_mg=prednisone, antimalarial=gcis.get("I.GCIS.HCQ") == "true" if gcis else None,
        immunosuppressants=agents,
        bilag={d: bilag[f"I.BILAG.{d.upper()}"] for d in outcomes.BILAG_DOMAINS if bilag.get(f"I.BILAG.{d.upper()}")},
        haemolysis=_bool(bilag.get("I.BILAG.HAEMOLYSIS")), present=present, formulas=formulas,
    )
