"""The safety forms' edit checks (kinds and semantics: ``ecrf.study.checks``; the rest of the trial's: ``checks``).

CRS and ICANS (ASTCT grades computed from their components, ecrf.clinical.crs / icans): an answer contradicting
another is **hard**, refused at the field (vasopressors or vasopressin with "no hypotension", an oxygen flow with
the device "none", a nasal cannula without its flow, the ICE for a participant below the protocol's CAPD age): the
grade computed from them would be wrong whichever answer is true. A lowest systolic pressure below the age limit
with "no hypotension" is **soft**: ASTCT sets no number (the limit is the PALS / adult SBP < 90 adaptation), a
single low reading may be an artefact or the participant's usual pressure, and hypotension is the investigator's
clinical judgement, so a monitor wants it confirmed against source, not entry blocked. The links to the AE and
medication logs are **soft** (system queries): the AE or the medication is usually entered after the assessment,
and the message says what is missing until it is.

Adverse events: hard where the answers contradict each other on the AE screen itself (a serious event without a
criterion, a criterion on a non-serious event, grade 5 that is not a death, an end before the onset, a DLT outside
its window); soft where another form is missing (the death form of a grade 5 event) or an SAE answer is still due.
"""
from __future__ import annotations

from ecrf.clinical import body, crs
from ecrf.study import codec, protocol
from ecrf.study.checks import (
    RECORDS,
    Check,
    Severity,
    absent_if,
    before,
    consistent,
    detail_if_yes,
    required_if,
    same_day,
)

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

# -- adverse events and SAEs ------------------------------------------------------------------------------------

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

