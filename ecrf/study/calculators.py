"""This study's calculated items, wired to the cited formulas in ecrf.clinical.

Each returns the value as stored (a canonical string) and the formula version.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ecrf.clinical import body, crs, dosing, icans, renal, sledai, steroids
from ecrf.study import codec, protocol
from ecrf.study.calculated import Calculated, Calculator
from ecrf.study.types import Form
from ecrf.study.validation import Context

DOB, SEX, HEIGHT = "I.DM.BRTHDAT", "I.DM.SEX", "I.HTWT.HEIGHT"


def _num(values, oid) -> float | None:
    raw = values.get(oid)
    return None if raw in (None, "") else float(Decimal(raw))


def _yes(values, oid) -> bool:
    return values.get(oid) == "true"


def _round(x: float, places: int) -> str:
    return format(Decimal(str(round(x, places))).normalize(), "f")


def _absent(*where: tuple[Mapping, str]) -> tuple[str, ...]:
    """The OIDs without a value, each looked up in its own mapping (this form's values or the facts)."""
    return tuple(oid for mapping, oid in where if mapping.get(oid) in (None, ""))


def _age_on(facts, on: str | None, ctx: Context) -> float | None:
    """Age in years on the site-local date of ``on`` (a stored date or date-time), else on today at the site."""
    dob = codec.decode_date(facts.get(DOB))
    if dob is None:
        return None
    day = codec.local_date(on, ctx.tz) if on else ctx.today
    return body.age_years(dob, day) if day else None


SLEDAI_ITEMS = tuple(f"I.SLEDAI.{d.id.upper()}" for d in sledai.DESCRIPTORS)


def sledai_total(values, facts, ctx) -> Calculated:
    """The total once the date and every descriptor are answered: an unanswered (or not done) descriptor is not
    "absent", so no total is stored that could understate the activity."""
    if missing := _absent(*((values, oid) for oid in ("I.SLEDAI.DAT", *SLEDAI_ITEMS))):
        return Calculated(None, missing=missing)
    present = [d.id for d in sledai.DESCRIPTORS if _yes(values, f"I.SLEDAI.{d.id.upper()}")]
    return Calculated(str(sledai.sledai_2k_total(present)), sledai.FORMULA_VERSION)


def egfr(values, facts, ctx) -> Calculated:
    creatinine, age = creatinine_umol_per_l(values), _age_on(facts, values.get("I.CHEM.DTC"), ctx)
    sex = {"F": "female", "M": "male"}.get(facts.get(SEX) or "")
    if creatinine is None or age is None or sex is None:
        return Calculated(None, missing=(*(() if creatinine is not None else _creatinine_missing(values)),
                                         *_absent((values, "I.CHEM.DTC"), (facts, DOB), (facts, SEX))))
    if renal.SCHWARTZ_MIN_AGE <= age < renal.ADULT_AGE and _num(facts, HEIGHT) is None:
        return Calculated(None, missing=(HEIGHT,))  # bedside Schwartz reads the height
    result = renal.egfr(renal.creatinine_umol_to_mg_dl(creatinine), age, sex, _num(facts, HEIGHT))
    return Calculated(_round(result.value, 1), result.formula_version)


def bsa(values, facts, ctx) -> Calculated:
    height, weight = _num(values, "I.LD.HEIGHT"), _num(values, "I.LD.WEIGHT")
    if height is None or weight is None:
        return Calculated(None, missing=_absent((values, "I.LD.HEIGHT"), (values, "I.LD.WEIGHT")))
    return Calculated(_round(body.bsa_mosteller(height, weight), 2), body.BSA_VERSION)


def prednisone_equivalent(values, facts, ctx) -> Calculated:
    drug, dose = values.get("I.GCIS.GCDRUG"), _num(values, "I.GCIS.GCDOSE")
    if not drug or dose is None:
        return Calculated(None, missing=_absent((values, "I.GCIS.GCDRUG"), (values, "I.GCIS.GCDOSE")))
    return Calculated(_round(steroids.prednisone_equivalent_mg(drug, dose), 2), steroids.FORMULA_VERSION)


def car_t_total(values, facts, ctx) -> Calculated:
    per_kg, weight = _num(values, "I.INF.DOSEKG"), _num(values, "I.INF.WEIGHT")
    if per_kg is None or weight is None:
        return Calculated(None, missing=_absent((values, "I.INF.DOSEKG"), (values, "I.INF.WEIGHT")))
    # dose per kg is entered in 10^5 cells/kg; the total is stored in 10^6 cells
    total = dosing.total_cells(per_kg * 1e5, weight) / 1e6
    return Calculated(_round(total, 3), dosing.FORMULA_VERSION)


def crs_grade(values, facts, ctx) -> Calculated:
    if not values.get("I.CRS.DTC"):
        return Calculated(None, missing=("I.CRS.DTC",))
    fever = values.get("I.CRS.FEVER")
    grade = crs.crs_grade(
        fever=None if fever is None else fever == "true", temperature_c=_num(values, "I.CRS.TEMP"),
        antipyretic_or_anticytokine_given=_yes(values, "I.CRS.ANTIPYR"),
        hypotension=values.get("I.CRS.HYPOT") or "none", hypoxia=values.get("I.CRS.HYPOX") or "none",
        death_due_to_crs=_yes(values, "I.CRS.DEATH"),
    )
    return Calculated(str(grade), crs.FORMULA_VERSION)


_ICE = ("I.ICANS.ICEORIENT", "I.ICANS.ICEOBJECTS", "I.ICANS.ICECMD", "I.ICANS.ICEWRITE", "I.ICANS.ICEATTN")


def icans_grade(values, facts, ctx) -> Calculated:
    tool = values.get("I.ICANS.TOOL")
    if not values.get("I.ICANS.DTC") or not tool:
        return Calculated(None, missing=_absent((values, "I.ICANS.DTC"), (values, "I.ICANS.TOOL")))
    ice = capd = None
    if tool == "ICE":
        scores = [_num(values, oid) for oid in _ICE]
        if None in scores:
            return Calculated(None, missing=_absent(*((values, oid) for oid in _ICE)))
        ice = icans.ice_score(*(int(s) for s in scores))
    elif tool == "CAPD":
        answers = [values.get(f"I.ICANS.CAPD{n}") for n in range(1, 9)]
        if None in answers:
            return Calculated(None, missing=_absent(*((values, f"I.ICANS.CAPD{n}") for n in range(1, 9))))
        capd = icans.capd_total(answers)
    grade = icans.icans_grade(
        ice=ice, capd=capd, capd_unable=tool == "UNABLE", loc=values.get("I.ICANS.LOC") or "normal",
        seizure=values.get("I.ICANS.SEIZ") or "none", motor=values.get("I.ICANS.MOTOR") or "none",
        icp=values.get("I.ICANS.ICP") or "none", age_years=_age_on(facts, values.get("I.ICANS.DTC"), ctx),
        death_due_to_icans=_yes(values, "I.ICANS.DEATH"),
    )
    return Calculated(str(grade), icans.FORMULA_VERSION)


def ld_dose(values, facts, ctx, oid: str) -> Calculated:
    """Expected lymphodepletion dose = mg/m2 x BSA, for I.LDDOSE.FLUEXP and I.LDDOSE.CYEXP."""
    per_m2, bsa_m2 = _num(values, oid.replace("EXP", "M2")), _num(facts, "I.LD.BSA")
    if per_m2 is None or bsa_m2 is None:
        return Calculated(None, missing=_absent((values, oid.replace("EXP", "M2")), (facts, "I.LD.BSA")))
    return Calculated(_round(dosing.lymphodepletion_dose_mg(per_m2, bsa_m2), 1), f"{dosing.FORMULA_VERSION}; "
                      f"BSA {facts['I.LD.BSA']} m2")


# -- creatinine entered in mg/dL or µmol/L; the stored I.CHEM.CREAT is µmol/L -----------------------------------

CREAT_ENTERED, CREAT_UNIT, CREAT = "I.CHEM.CREATORRES", "I.CHEM.CREATU", "I.CHEM.CREAT"


def creatinine_umol_per_l(values) -> float | None:
    """Serum creatinine in µmol/L: the reported value converted from its unit (mg/dL x 88.4). A form stored
    before the unit was asked has only I.CHEM.CREAT, entered in µmol/L: with neither a reported value nor a unit,
    that stored value stands (it reaches the calculators with the form's stored values)."""
    entered, unit = _num(values, CREAT_ENTERED), values.get(CREAT_UNIT)
    if entered is None:
        return _num(values, CREAT) if not unit else None
    if unit == "mg/dL":
        return renal.creatinine_mg_dl_to_umol(entered)
    return entered if unit == "umol/L" else None


def _creatinine_missing(values) -> tuple[str, ...]:
    return _absent((values, CREAT_ENTERED), (values, CREAT_UNIT)) or (CREAT,)


def creatinine(values, facts, ctx) -> Calculated:
    umol = creatinine_umol_per_l(values)
    if umol is None:
        return Calculated(None, missing=_creatinine_missing(values))
    if _num(values, CREAT_ENTERED) is None:  # a value stored before the unit was asked, kept as entered
        return Calculated(values[CREAT], "entered in µmol/L (before the unit was asked)")
    return Calculated(_round(umol, 1), f"{renal.CREATININE_VERSION}; reported {values[CREAT_ENTERED]} "
                                       f"{values[CREAT_UNIT]}")


# -- the CAR-T dose record: target cells and the signed deviation from it ------------------------------------------

def _level_cells_per_kg(level: str | None) -> float | None:
    levels = protocol.active().dose_levels_cells_per_kg
    return levels[int(level) - 1] if level and level.isdigit() and 1 <= int(level) <= len(levels) else None


def infused_dose(values, level: str | None = None) -> dosing.DoseCheck | None:
    """The infused against the target total cells of an F.INF (target: the prescribed dose level, or ``level``
    when the form has none, x the dosing weight; tolerance: the protocol's), None while an input is missing."""
    per_kg, weight = _num(values, "I.INF.DOSEKG"), _num(values, "I.INF.WEIGHT")
    target_per_kg = _level_cells_per_kg(values.get("I.INF.DOSELEVEL") or level)
    if per_kg is None or weight is None or target_per_kg is None:
        return None
    # dose per kg is entered in 10^5 cells/kg
    return dosing.check_infused_dose(dosing.total_cells(per_kg * 1e5, weight),
                                     dosing.total_cells(target_per_kg, weight),
                                     protocol.active().infused_dose_tolerance)


def car_t_target(values, facts, ctx) -> Calculated:
    level, weight = values.get("I.INF.DOSELEVEL"), _num(values, "I.INF.WEIGHT")
    per_kg = _level_cells_per_kg(level)
    if per_kg is None or weight is None:
        return Calculated(None, missing=_absent((values, "I.INF.DOSELEVEL"), (values, "I.INF.WEIGHT")))
    return Calculated(_round(dosing.total_cells(per_kg, weight) / 1e6, 3),
                      f"target = dose level {level} ({per_kg:g} cells/kg) x weight; {dosing.FORMULA_VERSION}")


def car_t_deviation(values, facts, ctx) -> Calculated:
    check = infused_dose(values)
    if check is None:
        return Calculated(None, missing=_absent((values, "I.INF.DOSEKG"), (values, "I.INF.WEIGHT"),
                                                (values, "I.INF.DOSELEVEL")))
    return Calculated(_round(check.deviation_pct, 2), f"{dosing.DEVIATION_VERSION}; tolerance "
                                                      f"±{check.tolerance_pct:g} %")


# -- concomitant glucocorticoids as prednisone equivalent ---------------------------------------------------------

#: the weights a per-kg dose reads, the visit vital signs (every visit) before the screening height and weight
WEIGHTS = ("I.VS.WEIGHT", "I.HTWT.WEIGHT")
_CM_GC = ("I.CM.GCDRUG", "I.CM.DOSE", "I.CM.DOSU", "I.CM.DOSFRQ")


def cm_prednisone_equivalent(values, facts, ctx) -> Calculated:
    if not values.get("I.CM.GCDRUG"):
        return Calculated(None)  # not a glucocorticoid: nothing to derive, nothing missing
    if missing := _absent(*((values, oid) for oid in _CM_GC)):
        return Calculated(None, missing=missing)
    mg = steroids.prednisone_equivalent_daily_mg(values["I.CM.GCDRUG"], _num(values, "I.CM.DOSE"),
                                                 values["I.CM.DOSU"], values["I.CM.DOSFRQ"])
    return Calculated(_round(mg, 2), steroids.DAILY_VERSION)


def latest_weight(facts) -> tuple[float | None, str | None]:
    """The latest recorded weight (kg) and the item it comes from."""
    return next(((_num(facts, oid), oid) for oid in WEIGHTS if _num(facts, oid)), (None, None))


def cm_prednisone_mg_per_kg(values, facts, ctx) -> Calculated:
    daily = cm_prednisone_equivalent(values, facts, ctx)
    if daily.value is None:
        return daily
    weight, source = latest_weight(facts)
    if weight is None:
        return Calculated(None, missing=WEIGHTS)
    return Calculated(_round(steroids.mg_per_kg_per_day(float(daily.value), weight), 3),
                      f"{steroids.DAILY_VERSION}; / weight {facts[source]} kg ({source})")


#: every calculator of the study, by the name CRF items give in ``calculated=`` (the definition check refuses an
#: unknown name)
CALCULATORS: dict[str, Calculator] = {
    "sledai_2k": Calculator(sledai_total),
    "bsa": Calculator(bsa),
    "prednisone_equivalent": Calculator(prednisone_equivalent),
    "car_t_total_cells": Calculator(car_t_total),
    "crs_grade": Calculator(crs_grade),
    "egfr": Calculator(egfr, needs=(DOB, SEX, HEIGHT)),
    "icans_grade": Calculator(icans_grade, needs=(DOB,)),
    "ld_dose_mg": Calculator(ld_dose, needs=("I.LD.BSA",), per_item=True),
    "creatinine_umol": Calculator(creatinine),
    "car_t_target_cells": Calculator(car_t_target),
    "car_t_dose_deviation": Calculator(car_t_deviation),
    "cm_prednisone_equivalent": Calculator(cm_prednisone_equivalent),
    "cm_prednisone_mg_per_kg": Calculator(cm_prednisone_mg_per_kg, needs=WEIGHTS),
}


def all_needs() -> set[str]:
    """Every item OID that some calculator reads from another form."""
    return {oid for calc in CALCULATORS.values() for oid in calc.needs}


def needs(form: Form) -> set[str]:
    """Item OIDs from other forms that the form's calculators read."""
    return {oid for i in form.items if i.calculated for oid in CALCULATORS[i.calculated].needs}


def calculate(form: Form, values: Mapping[str, str | None], facts: Mapping[str, str | None],
              ctx: Context) -> dict[str, Calculated]:
    """The form's calculated items; a calculator that cannot compute (missing or impossible input) gives None."""
    out = {}
    for item in form.items:
        if item.calculated:
            calc = CALCULATORS[item.calculated]
            try:
                out[item.oid] = calc.fn(values, facts, ctx, item.oid) if calc.per_item else calc.fn(values, facts, ctx)
            except (ValueError, TypeError, ArithmeticError) as exc:
                out[item.oid] = Calculated(None, problem=str(exc) or type(exc).__name__)
    return out
