"""The trial's edit checks, declared next to the CRFs (kinds and semantics: ``ecrf.study.checks``).

Severity, as a monitor would want it:

* **hard** where the data are impossible and the fix is on the entry screen: a diastolic pressure not below
  the systolic (a pulse pressure of zero or less cannot be measured: the two numbers were swapped or mistyped;
  the issue's 130/118 is refused at the field), an end before its start.
* **soft** where the data are implausible or incomplete but may be true, and someone should look: the value is
  stored and a system query opens on the item (a dosing weight more than 10 % from the lymphodepletion weight,
  an AE onset before consent, a visit date outside participation, a temperature outside 35-41 °C, a "yes"
  without its detail). Required-if checks also keep the form incomplete until the item is answered.

CRS and ICANS (ASTCT grades computed from their components, ecrf.clinical.crs / icans): an answer contradicting
another is **hard**, refused at the field (vasopressors or vasopressin with "no hypotension", an oxygen flow with
the device "none", a nasal cannula without its flow, the ICE for a participant below the protocol's CAPD age): the
grade computed from them would be wrong whichever answer is true. A lowest systolic pressure below the age limit
with "no hypotension" is **soft**: ASTCT sets no number (the limit is the PALS / adult SBP < 90 adaptation), a
single low reading may be an artefact or the participant's usual pressure, and hypotension is the investigator's
clinical judgement, so a monitor wants it confirmed against source, not entry blocked. The links to the AE and
medication logs are **soft** (system queries): the AE or the medication is usually entered after the assessment,
and the message says what is missing until it is.
"""
from __future__ import annotations

from dataclasses import replace

from ecrf.clinical import body, crs
from ecrf.study import calculators, codec, protocol
from ecrf.study.checks import (
    RECORDS,
    Check,
    Severity,
    absent_if,
    before,
    consistent,
    detail_if_yes,
    in_range,
    not_before_first,
    required_if,
    same_day,
    within_participation,
    within_percent,
)

CONSENT = "I.IC.DTC"
PARTICIPATION_ENDS = ("I.EOS.DAT", "I.DEATH.DAT")

#: the main date of each visit form: it must fall inside the participant's participation
VISIT_DATES = ("I.VS.DTC", "I.PE.DAT", "I.HTWT.DAT", "I.HEM.DTC", "I.CHEM.DTC", "I.UA.DTC", "I.SLEDAI.DAT",
               "I.PGA.DAT", "I.GCIS.DAT", "I.LEUK.STDTC", "I.LD.DAT", "I.LDDOSE.DAT", "I.INF.STDTC", "I.CRS.DTC",
               "I.ICANS.DTC", "I.LTFU.DAT", "I.BILAG.DAT")


def _blood_pressure(form: str, prefix: str = "") -> Check:
    oid = f"I.{form}.{prefix}"
    return before(f"{form}.{prefix}BP_ORDER", f"{oid}DIABP", f"{oid}SYSBP", show_at=f"{oid}DIABP",
                  message="The diastolic pressure must be lower than the systolic pressure: check both values "
                          "(were they swapped?).")


def _temperature(form: str, prefix: str = "") -> Check:
    return in_range(f"{form}.{prefix}TEMP_PLAUSIBLE", f"I.{form}.{prefix}TEMP", 35.0, 41.0,
                    "A temperature below 35.0 or above 41.0 °C is unusual: confirm it against the source.")


DOB = "I.DM.BRTHDAT"
GRADED = ("1", "2", "3", "4", "5")


def _age_years(facts, on, ctx) -> int | None:
    """Completed years on the site-local day of ``on`` (None without a date of birth or a date)."""
    dob, day = codec.decode_date(facts.get(DOB)), codec.local_date(on, ctx.tz) if on else None
    return body.age_years(dob, day) if dob and day and day >= dob else None


def _number(value) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except ValueError:
        return None


def _sbp_agrees(values, facts, ctx) -> bool:
    sbp, age = _number(values.get("I.CRS.SBPMIN")), _age_years(facts, values.get("I.CRS.DTC"), ctx)
    if values.get("I.CRS.HYPOTYN") != "false" or sbp is None or age is None:
        return True
    return not crs.hypotensive(sbp, age)


def _cannula_flow(values, facts, ctx) -> bool:
    if values.get("I.CRS.O2DEV") != "nasal_cannula":
        return True
    flow = values.get("I.CRS.O2FLOW")
    try:
        return flow not in (None, "") and float(flow) > 0
    except ValueError:
        return True  # unreadable: the item's own validation says so


def _ae_of_type(oid: str, *types: str):
    """The AE record named by ``oid`` exists on the AE log and is an AESI of one of ``types``."""

    def holds(values, facts, ctx) -> bool:
        number = _number(values.get(oid))
        if number is None:
            return True
        record = facts[RECORDS].get("F.AE", {}).get(number)
        return record is not None and record.get("I.AE.AESITYP") in types

    return holds


def _crs_treatment_recorded(values, facts, ctx) -> bool:
    number = _number(values.get("I.CRS.AENO"))
    if values.get("I.CRS.ANTIPYR") != "true" or number is None:
        return True
    return any(cm.get("I.CM.CAT") == "CRS_ICANS" and _number(cm.get("I.CM.AENO")) == number
               for cm in facts[RECORDS].get("F.CM", {}).values())


def _cm_names_crs_icans(values, facts, ctx) -> bool:
    return values.get("I.CM.CAT") != "CRS_ICANS" or _ae_of_type("I.CM.AENO", "CRS", "ICANS")(values, facts, ctx)


def _tool_for_age(values, facts, ctx) -> bool:
    age = _age_years(facts, values.get("I.ICANS.DTC"), ctx)
    return values.get("I.ICANS.TOOL") != "ICE" or age is None or age >= protocol.active().icans_capd_below_age_years


_HARD = Severity.HARD
#: CRS and ICANS: contradictions refused, the links to the AE and medication logs queried (module docstring)
ASTCT_CHECKS: tuple[Check, ...] = (
    absent_if("CRS.PRESSOR_HYPOT", "I.CRS.VASOCNT", "I.CRS.HYPOTYN", ("false",),
              "Vasopressors are recorded but hypotension is 'no': vasopressors are given for hypotension; correct "
              "one of the two."),
    absent_if("CRS.VASOPRESSIN_HYPOT", "I.CRS.VASOPRSN", "I.CRS.HYPOTYN", ("false",),
              "Vasopressin is recorded but hypotension is 'no': correct one of the two."),
    absent_if("CRS.FLOW_NEEDS_DEVICE", "I.CRS.O2FLOW", "I.CRS.O2DEV", ("none",),
              "An oxygen flow is recorded but the oxygen device is 'none': choose the device or clear the flow."),
    consistent("CRS.CANNULA_NEEDS_FLOW", "I.CRS.O2FLOW",
               "A nasal cannula needs its flow (L/min): up to 6 L/min is low flow (grade 2), more is high flow "
               "(grade 3).", _cannula_flow, reads=("I.CRS.O2DEV",), severity=_HARD),
    consistent("CRS.SBP_BELOW_AGE_LIMIT", "I.CRS.HYPOTYN",
               "The lowest systolic pressure is below the hypotension limit for the participant's age (PALS: "
               "< 70 + 2 x age for 1-10 years, < 90 mmHg from 10 years and in adults) but hypotension is 'no': "
               "confirm against the source.", _sbp_agrees, reads=("I.CRS.SBPMIN", "I.CRS.DTC"), needs=(DOB,)),
    required_if("CRS.AE_IF_GRADED", "I.CRS.AENO", "I.CRS.GRADE", GRADED,
                "CRS of grade 1 or more: its adverse event is missing. Enter the CRS on the adverse event log "
                "(type of AESI: CRS) and its record number here."),
    consistent("CRS.AE_IS_CRS", "I.CRS.AENO",
               "No adverse event of special interest of type CRS has this record number: the CRS adverse event is "
               "missing from the AE log (enter it, type of AESI: CRS) or the number is wrong.",
               _ae_of_type("I.CRS.AENO", "CRS"), records=("I.AE.AESITYP",)),
    consistent("CRS.TREATMENT_ON_CM_LOG", "I.CRS.ANTIPYR",
               "Antipyretic or anticytokine therapy is recorded but the medication log has no CRS/ICANS treatment "
               "naming this CRS's AE record number: record the tocilizumab, corticosteroid or antipyretic there.",
               _crs_treatment_recorded, reads=("I.CRS.AENO",), records=("I.CM.CAT", "I.CM.AENO")),
    consistent("ICANS.TOOL_FOR_AGE", "I.ICANS.TOOL",
               "The participant is younger than the protocol's age for the ICE (the CAPD cut-off, 12 years by "
               "default): assess the encephalopathy with the CAPD.", _tool_for_age, reads=("I.ICANS.DTC",),
               needs=(DOB,), severity=_HARD),
    required_if("ICANS.AE_IF_GRADED", "I.ICANS.AENO", "I.ICANS.GRADE", GRADED,
                "ICANS of grade 1 or more: its adverse event is missing. Enter the ICANS on the adverse event log "
                "(type of AESI: ICANS) and its record number here."),
    consistent("ICANS.AE_IS_ICANS", "I.ICANS.AENO",
               "No adverse event of special interest of type ICANS has this record number: the ICANS adverse "
               "event is missing from the AE log (enter it, type of AESI: ICANS) or the number is wrong.",
               _ae_of_type("I.ICANS.AENO", "ICANS"), records=("I.AE.AESITYP",)),
    required_if("CM.AE_IF_CRS_ICANS", "I.CM.AENO", "I.CM.CAT", ("CRS_ICANS",),
                "A CRS/ICANS treatment: enter the record number of the CRS or ICANS adverse event it treats."),
    consistent("CM.AE_IS_CRS_ICANS", "I.CM.AENO",
               "No CRS or ICANS adverse event of special interest has this record number on the AE log: enter the "
               "event (type of AESI: CRS or ICANS) or correct the number.", _cm_names_crs_icans,
               reads=("I.CM.CAT",), records=("I.AE.AESITYP",)),
)

CHECKS: tuple[Check, ...] = (
    # cross-field: blood pressure, on every set of vital signs
    _blood_pressure("VS"), _blood_pressure("INF", "PRE"), _blood_pressure("INF", "POST"),
    # range (plausibility inside the hard limits)
    _temperature("VS"), _temperature("INF", "PRE"), _temperature("INF", "POST"),
    # cross-field: an end after its start
    before("AE.END_AFTER_START", "I.AE.STDAT", "I.AE.ENDAT", strict=False,
           message="The end date is before the start date."),
    before("CM.END_AFTER_START", "I.CM.STDAT", "I.CM.ENDAT", strict=False,
           message="The end date is before the start date."),
    before("LEUK.END_AFTER_START", "I.LEUK.STDTC", "I.LEUK.ENDTC",
           message="The collection must stop after it started."),
    before("INF.END_AFTER_START", "I.INF.STDTC", "I.INF.ENDTC",
           message="The infusion must stop after it started."),
    # required-if
    required_if("AE.END_IF_RESOLVED", "I.AE.ENDAT", "I.AE.ONGO", ("N",),
                "The event is not ongoing: enter the date it resolved."),
    required_if("CM.END_IF_STOPPED", "I.CM.ENDAT", "I.CM.ONGO", ("N",),
                "The medication is not ongoing: enter the date it stopped."),
    required_if("GCIS.DRUG_IF_GC", "I.GCIS.GCDRUG", "I.GCIS.GCYN", ("true",),
                "A glucocorticoid is taken: choose which."),
    required_if("GCIS.DOSE_IF_GC", "I.GCIS.GCDOSE", "I.GCIS.GCYN", ("true",),
                "A glucocorticoid is taken: enter the daily dose."),
    required_if("EOS.REASON_IF_EARLY", "I.EOS.REASON", "I.EOS.STATUS", ("EARLY",),
                "The participant left early: give the reason."),
    # cross-field: a "yes" that needs its detail
    detail_if_yes("LEUK.COMPL_DETAIL", "I.LEUK.COMPLSP", "I.LEUK.COMPL", "Describe the complications."),
    detail_if_yes("INF.PREMED_DETAIL", "I.INF.PREMEDSP", "I.INF.PREMED", "Describe the premedication given."),
    detail_if_yes("INF.REACT_DETAIL", "I.INF.REACTSP", "I.INF.REACT", "Describe the infusion reaction."),
    detail_if_yes("LD.REDUCED_DETAIL", "I.LD.REDUCEDSP", "I.LD.REDUCED", "Give the reason for the modified regimen."),
    detail_if_yes("LDDOSE.MOD_DETAIL", "I.LDDOSE.MODSP", "I.LDDOSE.MOD", "Give the reason for the modification."),
    # cross-form
    within_percent("INF.WEIGHT_VS_LD", "I.INF.WEIGHT", "I.LD.WEIGHT", 10,
                   "The dosing weight differs by more than 10 % from the weight at lymphodepletion: confirm the "
                   "weight and the dose."),
    not_before_first("AE.ONSET_AFTER_CONSENT", "I.AE.STDAT", CONSENT,
                     "The onset is before informed consent: an event before consent belongs on the medical "
                     "history, not the AE log."),
    *(within_participation(f"{oid[2:].split('.')[0]}.IN_PARTICIPATION", oid, CONSENT, PARTICIPATION_ENDS,
                           "This date is outside the participant's participation (before the first consent or "
                           "after the end of study or death).") for oid in VISIT_DATES),
    *ASTCT_CHECKS,
)


# -- the CAR-T dose record: the tolerance applies to every infusion (a complete one outside it is refused by the
# trial rule ecrf.treatment.guards.infusion_order; an incomplete one is stored with its reason, and the monitor
# reviews the dose deviation through the system query)
_DOSE = ("I.INF.DOSEKG", "I.INF.WEIGHT", "I.INF.DOSELEVEL", "I.INF.COMPLETE")


def _incomplete_outside_tolerance(values) -> bool:
    dose = calculators.infused_dose(values)
    return values.get("I.INF.COMPLETE") == "false" and dose is not None and not dose.within_tolerance


def _reason_given(values, facts, ctx) -> bool:
    return not _incomplete_outside_tolerance(values) or bool(values.get("I.INF.DEVREASON"))


def _within_tolerance(values, facts, ctx) -> bool:
    return not _incomplete_outside_tolerance(values)


DOSE_CHECKS: tuple[Check, ...] = (
    Check("INF.DEVIATION_REASON", Severity.HARD, "I.INF.DEVREASON",
          "The infused dose is outside the protocol's tolerance of the target: give the reason for the dose "
          "deviation.", _reason_given, reads=(*_DOSE, "I.INF.DEVREASON"), requires="I.INF.DEVREASON",
          condition=_incomplete_outside_tolerance),
    Check("INF.DOSE_DEVIATION", Severity.SOFT, "I.INF.DEVPCT",
          "Dose deviation: the infused dose is outside the protocol's tolerance of the target (infusion not "
          "complete). Review it and report it as a protocol deviation.", _within_tolerance, reads=_DOSE),
)

# -- creatinine: the stored µmol/L value within the hard limits, whatever the unit reported (a value in mg/dL
# reported as µmol/L, or the reverse, is refused at the field)
CREATININE_CHECKS: tuple[Check, ...] = (
    replace(in_range("CHEM.CREAT_LIMITS", "I.CHEM.CREAT", 5, 2500,
                     "Creatinine must be 5-2500 µmol/L (0.06-28.3 mg/dL): check the value and its unit.",
                     severity=Severity.HARD),
            item="I.CHEM.CREATORRES", reads=("I.CHEM.CREAT", "I.CHEM.CREATORRES")),
)
CHECKS = (*CHECKS, *DOSE_CHECKS, *CREATININE_CHECKS)

__all__ = ["CHECKS", "Severity"]

# -- adverse events and SAEs (issue 12, item 4) ---------------------------------------------------------------
# Hard where the answers contradict each other on the AE screen itself (a serious event without a criterion, a
# criterion on a non-serious event, grade 5 that is not a death, an end before the onset, a DLT outside its
# window); soft where another form is missing (the death form of a grade 5 event) or an SAE answer is still due.

_SERIOUS_CRITERIA = ("I.AE.SDTH", "I.AE.SLIFE", "I.AE.SHOSP", "I.AE.SDISAB", "I.AE.SCONG", "I.AE.SMIE")


def _criterion_given(v) -> bool:
    return any(v.get(oid) == "Y" for oid in _SERIOUS_CRITERIA)


def _grade5(v) -> bool:
    return v.get("I.AE.TOXGR") == "5"


AE_CHECKS: tuple[Check, ...] = (
    consistent("AE.SER_NEEDS_CRITERION", "I.AE.SER",
               "A serious adverse event needs at least one seriousness criterion: answer Yes to each that applies.",
               lambda v, f, ctx: v.get("I.AE.SER") != "Y" or _criterion_given(v), reads=_SERIOUS_CRITERIA,
               severity=Severity.HARD),
    consistent("AE.CRITERION_NEEDS_SER", "I.AE.SER",
               "A seriousness criterion is Yes, so the event is serious: answer Serious = Yes, or No to the "
               "criterion.",
               lambda v, f, ctx: v.get("I.AE.SER") != "N" or not _criterion_given(v), reads=_SERIOUS_CRITERIA,
               severity=Severity.HARD),
    consistent("AE.GRADE5_FATAL_OUTCOME", "I.AE.OUT",
               "Grade 5 is death related to the event: the outcome must be Fatal (or correct the grade).",
               lambda v, f, ctx: not _grade5(v) or v.get("I.AE.OUT") == "FATAL", reads=("I.AE.TOXGR",),
               severity=Severity.HARD),
    consistent("AE.GRADE5_SDTH_YES", "I.AE.SDTH",
               "Grade 5 is death related to the event: 'Results in death' must be Yes (or correct the grade).",
               lambda v, f, ctx: not _grade5(v) or v.get("I.AE.SDTH") == "Y", reads=("I.AE.TOXGR",),
               severity=Severity.HARD),
    consistent("AE.GRADE5_DEATH_FORM", "I.AE.TOXGR", "Grade 5 (death): complete the death form.",
               lambda v, f, ctx: not _grade5(v) or bool(f.get("I.DEATH.DAT")), needs=("I.DEATH.DAT",)),
    same_day("AE.ONSET_TIME_SAME_DAY", "I.AE.STDAT", "I.AE.STDTC",
             "The onset date and time is not on the start date: correct one of them."),
    same_day("AE.END_TIME_SAME_DAY", "I.AE.ENDAT", "I.AE.ENDTC",
             "The end date and time is not on the end date: correct one of them."),
    before("AE.END_TIME_AFTER_ONSET", "I.AE.STDTC", "I.AE.ENDTC", strict=False,
           message="The end is before the onset."),
    before("AE.REPORT_AFTER_AWARE", "I.AE.AWAREDTC", "I.AE.RPTDTC", strict=False,
           message="The initial report cannot be sent before the site became aware of the SAE."),
    consistent("AE.DLT_IN_WINDOW", "I.AE.DLT",
               "A dose-limiting toxicity begins in the DLT window (the infusion day to the protocol's last DLT day); "
               "this onset is outside it: correct the start date, or untick DLT.",
               lambda v, f, ctx: v.get("I.AE.DLT") != "true" or v.get("I.AE.DLTWIN") != "false",
               reads=("I.AE.DLTWIN",), severity=Severity.HARD),
    required_if("AE.AWARENESS_IF_SERIOUS", "I.AE.AWAREDTC", "I.AE.SER", ("Y",),
                "The event is serious: enter when the site became aware of it (it starts the 24-hour clock)."),
    required_if("AE.EXPECT_IF_SERIOUS", "I.AE.EXPECT", "I.AE.SER", ("Y",),
                "The event is serious: assess its expectedness against the reference safety information."),
    detail_if_yes("AE.AESI_TYPE", "I.AE.AESITYP", "I.AE.AESI", "Choose the type of the event of special interest."),
)

CHECKS = (*CHECKS, *AE_CHECKS)
