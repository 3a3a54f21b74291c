"""This study's calculated items, wired to the cited formulas in ecrf.clinical.

Each returns the value as stored (a canonical string) and the formula version.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ecrf.clinical import body, crs, dosing, icans, renal, sledai, steroids
from ecrf.study import codec, lab_calculators, protocol
from ecrf.study.calculated import HISTORY, Calculated, Calculator
from ecrf.study.schedule import INFUSION_START, study_day
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


CLINICAL_SLEDAI_ITEMS = tuple(f"I.SLEDAI.{d.id.upper()}" for d in sledai.DESCRIPTORS if d.id not in sledai.SEROLOGY_IDS)


def clinical_sledai_total(values, facts, ctx) -> Calculated:
    """The total without serology, by the same rule as the total for the descriptors it sums: the date and the 22
    clinical descriptors answered (low complement or DNA binding "not done" does not hold it back)."""
    if missing := _absent(*((values, oid) for oid in ("I.SLEDAI.DAT", *CLINICAL_SLEDAI_ITEMS))):
        return Calculated(None, missing=missing)
    present = [d.id for d in sledai.DESCRIPTORS if _yes(values, f"I.SLEDAI.{d.id.upper()}")]
    return Calculated(str(sledai.clinical_sledai(present)), sledai.CLINICAL_SLEDAI_VERSION)


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


# -- CRS (ASTCT 2019): the fever, both levels and the grade, each computed from the components entered ----------

CRS_HISTORY = ("I.CRS.DTC", "I.CRS.FEVER", "I.CRS.ANTIPYR")  # read from the subject's other CRS assessments
_CRS_GRADE_INPUTS = ("I.CRS.DTC", "I.CRS.TEMP", "I.CRS.ANTIPYR", "I.CRS.HYPOTYN", "I.CRS.O2DEV")


def _hypotension_inputs(values) -> tuple[str, ...]:
    """The items the hypotension level needs: the count of vasopressors once there is hypotension."""
    return ("I.CRS.HYPOTYN", "I.CRS.VASOCNT") if _yes(values, "I.CRS.HYPOTYN") else ("I.CRS.HYPOTYN",)


def _hypoxia_inputs(values) -> tuple[str, ...]:
    """The items the hypoxia level needs: the flow for a nasal cannula."""
    return ("I.CRS.O2DEV", "I.CRS.O2FLOW") if values.get("I.CRS.O2DEV") == "nasal_cannula" else ("I.CRS.O2DEV",)


def _hypotension_level(values) -> str:
    count = _num(values, "I.CRS.VASOCNT")
    return crs.hypotension_level(_yes(values, "I.CRS.HYPOTYN"), int(count or 0), _yes(values, "I.CRS.VASOPRSN"))


def _hypoxia_level(values) -> str:
    return crs.hypoxia_level(values["I.CRS.O2DEV"], _num(values, "I.CRS.O2FLOW"))


def crs_fever(values, facts, ctx) -> Calculated:
    """CRS fever from the highest temperature and the other-cause tick (no tick can set it)."""
    if missing := _absent((values, "I.CRS.TEMP")):
        return Calculated(None, missing=missing)
    fever = crs.crs_fever(_num(values, "I.CRS.TEMP"), _yes(values, "I.CRS.FEVEROTH"))
    return Calculated("true" if fever else "false", crs.FORMULA_VERSION)


def crs_hypotension(values, facts, ctx) -> Calculated:
    if missing := _absent(*((values, oid) for oid in _hypotension_inputs(values))):
        return Calculated(None, missing=missing)
    return Calculated(_hypotension_level(values), crs.FORMULA_VERSION)


def crs_hypoxia(values, facts, ctx) -> Calculated:
    if missing := _absent(*((values, oid) for oid in _hypoxia_inputs(values))):
        return Calculated(None, missing=missing)
    return Calculated(_hypoxia_level(values), crs.FORMULA_VERSION)


def fever_earlier_in_episode(values, facts) -> bool:
    """Whether an earlier CRS assessment of the subject (assessed before this one) had CRS fever or antipyretic
    or anticytokine therapy: then fever is no longer required (ASTCT). The trial gives one infusion, so the
    episode is the subject's assessments after it."""
    when = values.get("I.CRS.DTC")
    return any(h.get("I.CRS.DTC") and h["I.CRS.DTC"] < when
               and (h.get("I.CRS.FEVER") == "true" or h.get("I.CRS.ANTIPYR") == "true")
               for h in facts.get(HISTORY, ()))


def crs_grade(values, facts, ctx) -> Calculated:
    """The ASTCT grade from the components; with any of them missing, no grade (never a guessed "none")."""
    needed = (*_CRS_GRADE_INPUTS, *_hypotension_inputs(values)[1:], *_hypoxia_inputs(values)[1:])
    if missing := _absent(*((values, oid) for oid in needed)):
        return Calculated(None, missing=missing)
    grade = crs.crs_grade(
        temperature_c=_num(values, "I.CRS.TEMP"), fever_attributable_to_other_cause=_yes(values, "I.CRS.FEVEROTH"),
        antipyretic_or_anticytokine_given=_yes(values, "I.CRS.ANTIPYR"),
        fever_earlier_in_episode=fever_earlier_in_episode(values, facts),
        hypotension=_hypotension_level(values), hypoxia=_hypoxia_level(values),
        death_due_to_crs=_yes(values, "I.CRS.DEATH"),
    )
    return Calculated(str(grade), crs.FORMULA_VERSION)


# -- ICANS (ASTCT 2019) -------------------------------------------------------------------------------------

_ICE = ("I.ICANS.ICEORIENT", "I.ICANS.ICEOBJECTS", "I.ICANS.ICECMD", "I.ICANS.ICEWRITE", "I.ICANS.ICEATTN")
_CAPD = tuple(f"I.ICANS.CAPD{n}" for n in range(1, 9))
_ICANS_DOMAINS = ("I.ICANS.LOC", "I.ICANS.SEIZ", "I.ICANS.MOTOR", "I.ICANS.ICP")
#: each domain's "attributable to another cause" tick
ICANS_OTHER_CAUSE = {"encephalopathy": "I.ICANS.ENCOTH", "consciousness": "I.ICANS.LOCOTH",
                     "seizure": "I.ICANS.SEIZOTH", "motor": "I.ICANS.MOTOROTH", "icp": "I.ICANS.ICPOTH"}


def icans_age_cutoff() -> float:
    """The protocol's age (years) from which the ICE is used; the CAPD below it."""
    return protocol.active().icans_capd_below_age_years


def icans_grade(values, facts, ctx) -> Calculated:
    """The ASTCT grade from every domain; a domain not assessed gives no grade and names what is missing."""
    tool = values.get("I.ICANS.TOOL")
    score_items = {"ICE": _ICE, "CAPD": _CAPD}.get(tool or "", ())
    missing = _absent(*((values, oid) for oid in ("I.ICANS.DTC", "I.ICANS.TOOL", *score_items, *_ICANS_DOMAINS)))
    if tool == "ICE" and not missing:
        missing = _absent((facts, DOB))  # the ICE is for participants of the cut-off age and over
    if missing:
        return Calculated(None, missing=missing)
    ice = icans.ice_score(*(int(_num(values, oid)) for oid in _ICE)) if tool == "ICE" else None
    capd = icans.capd_total([values[oid] for oid in _CAPD]) if tool == "CAPD" else None
    cutoff = icans_age_cutoff()
    grade = icans.icans_grade(
        ice=ice, capd=capd, capd_unable=tool == "UNABLE", loc=values["I.ICANS.LOC"], seizure=values["I.ICANS.SEIZ"],
        motor=values["I.ICANS.MOTOR"], icp=values["I.ICANS.ICP"],
        age_years=_age_on(facts, values.get("I.ICANS.DTC"), ctx), capd_age_cutoff=cutoff,
        other_cause={domain for domain, oid in ICANS_OTHER_CAUSE.items() if _yes(values, oid)},
        death_due_to_icans=_yes(values, "I.ICANS.DEATH"),
    )
    return Calculated(str(grade), f"{icans.FORMULA_VERSION}; CAPD below {cutoff:g} y")


def ld_dose(values, facts, ctx, oid: str) -> Calculated:
    """Expected lymphodepletion dose = mg/m2 x BSA, for I.LDDOSE.FLUEXP and I.LDDOSE.CYEXP."""
    per_m2, bsa_m2 = _num(values, oid.replace("EXP", "M2")), _num(facts, "I.LD.BSA")
    if per_m2 is None or bsa_m2 is None:
        return Calculated(None, missing=_absent((values, oid.replace("EXP", "M2")), (facts, "I.LD.BSA")))
    return Calculated(_round(dosing.lymphodepletion_dose_mg(per_m2, bsa_m2), 1), f"{dosing.FORMULA_VERSION}; "
                      f"BSA {facts['I.LD.BSA']} m2")



#: the versions of the two AE timings below (stored with each value)
AE_HOURS_VERSION = "AE onset - infusion start, hours; v1"
DLT_WINDOW_VERSION = "DLT window: onset day 0 to protocol dlt_days after the infusion day, inclusive; v1"


def ae_hours_from_infusion(values, facts, ctx) -> Calculated:
    """Hours from the start of the CAR-T infusion to the AE onset, when both moments are known (negative before)."""
    onset, start = codec.decode_datetime(values.get("I.AE.STDTC")), codec.decode_datetime(facts.get(INFUSION_START))
    if onset is None or start is None:
        return Calculated(None, missing=_absent((values, "I.AE.STDTC"), (facts, INFUSION_START)))
    return Calculated(_round((onset - start).total_seconds() / 3600, 1), AE_HOURS_VERSION)


def ae_in_dlt_window(values, facts, ctx) -> Calculated:
    """Whether the onset day (site-local) lies in the DLT window: day 0 (the infusion day) to day ``dlt_days``, both
    included (protocol brief, dose levels: "DLT window of 28 days after infusion"; ecrf.visits.planning.dlt_window
    counts the same days)."""
    onset = codec.local_date(values.get("I.AE.STDAT"), ctx.tz)
    infusion = codec.local_date(facts.get(INFUSION_START), ctx.tz)
    if onset is None or infusion is None:
        return Calculated(None, missing=_absent((values, "I.AE.STDAT"), (facts, INFUSION_START)))
    day = study_day(onset, infusion)
    return Calculated("true" if 0 <= day <= protocol.active().dlt_days else "false", DLT_WINDOW_VERSION)
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
    "crs_grade": Calculator(crs_grade, history=CRS_HISTORY, grades=True),
    "egfr": Calculator(egfr, needs=(DOB, SEX, HEIGHT)),
    "icans_grade": Calculator(icans_grade, needs=(DOB,), grades=True),
    "ld_dose_mg": Calculator(ld_dose, needs=("I.LD.BSA",), per_item=True),
    "crs_fever": Calculator(crs_fever),
    "crs_hypotension": Calculator(crs_hypotension),
    "crs_hypoxia": Calculator(crs_hypoxia),
    "ae_hours_from_infusion": Calculator(ae_hours_from_infusion, needs=(INFUSION_START,)),
    "ae_in_dlt_window": Calculator(ae_in_dlt_window, needs=(INFUSION_START,)),
    "clinical_sledai": Calculator(clinical_sledai_total),
    "creatinine_umol": Calculator(creatinine),
    "car_t_target_cells": Calculator(car_t_target),
    "car_t_dose_deviation": Calculator(car_t_deviation),
    "cm_prednisone_equivalent": Calculator(cm_prednisone_equivalent),
    "cm_prednisone_mg_per_kg": Calculator(cm_prednisone_mg_per_kg, needs=WEIGHTS),
    "lab_flag": Calculator(lab_calculators.lab_flag, needs=(DOB, SEX), per_item=True, ranges=True),
    "lab_uln": Calculator(lab_calculators.lab_uln, needs=(DOB, SEX), per_item=True, ranges=True),
}


def all_needs() -> set[str]:
    """Every item OID that some calculator reads from another form."""
    return {oid for calc in CALCULATORS.values() for oid in calc.needs}


def needs(form: Form) -> set[str]:
    """Item OIDs from other forms that the form's calculators read."""
    return {oid for i in form.items if i.calculated for oid in CALCULATORS[i.calculated].needs}


def history(form: Form) -> set[str]:
    """Item OIDs the form's calculators read from the subject's other instances of the same form."""
    return {oid for i in form.items if i.calculated for oid in CALCULATORS[i.calculated].history}


def reads_ranges(form: Form) -> bool:
    """Whether the form's calculators read the site laboratories' normal ranges (``facts[LAB_RANGES]``)."""
    return any(i.calculated and CALCULATORS[i.calculated].ranges for i in form.items)


def all_history() -> set[str]:
    """Every item OID that some calculator reads from the other instances of its own form."""
    return {oid for calc in CALCULATORS.values() for oid in calc.history}


def grades(item_oid: str, form: Form) -> bool:
    """Whether the calculated item is a grade (shown as "Cannot grade: ..." when it has no value)."""
    item = next((i for i in form.items if i.oid == item_oid), None)
    return bool(item and item.calculated and CALCULATORS[item.calculated].grades)


def calculate(form: Form, values: Mapping[str, str | None], facts: Mapping[str, str | None],
              ctx: Context) -> dict[str, Calculated]:
    """The form's calculated items; a calculator that cannot compute (missing or impossible input) gives None.

    In the form's order, each calculator sees the values derived before it (the flag of creatinine reads the
    µmol/L value derived from the reported one just above it)."""
    out: dict[str, Calculated] = {}
    seen = dict(values)
    for item in form.items:
        if item.calculated:
            calc = CALCULATORS[item.calculated]
            try:
                out[item.oid] = calc.fn(seen, facts, ctx, item.oid) if calc.per_item else calc.fn(seen, facts, ctx)
            except (ValueError, TypeError, ArithmeticError) as exc:
                out[item.oid] = Calculated(None, problem=str(exc) or type(exc).__name__)
            seen[item.oid] = out[item.oid].value
    return out
