"""The trial's edit checks, declared next to the CRFs (kinds and semantics: ``ecrf.study.checks``).

Severity, as a monitor would want it:

* **hard** where the data are impossible and the fix is on the entry screen: a diastolic pressure not below
  the systolic (a pulse pressure of zero or less cannot be measured: the two numbers were swapped or mistyped;
  the issue's 130/118 is refused at the field), an end before its start.
* **soft** where the data are implausible or incomplete but may be true, and someone should look: the value is
  stored and a system query opens on the item (a dosing weight more than 10 % from the lymphodepletion weight,
  an AE onset before consent, a visit date outside participation, a temperature outside 35-41 °C, a "yes"
  without its detail). Required-if checks also keep the form incomplete until the item is answered.
"""
from __future__ import annotations

from ecrf.study.checks import (
    Check,
    Severity,
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
               "I.ICANS.DTC", "I.LTFU.DAT")


def _blood_pressure(form: str, prefix: str = "") -> Check:
    oid = f"I.{form}.{prefix}"
    return before(f"{form}.{prefix}BP_ORDER", f"{oid}DIABP", f"{oid}SYSBP", show_at=f"{oid}DIABP",
                  message="The diastolic pressure must be lower than the systolic pressure: check both values "
                          "(were they swapped?).")


def _temperature(form: str, prefix: str = "") -> Check:
    return in_range(f"{form}.{prefix}TEMP_PLAUSIBLE", f"I.{form}.{prefix}TEMP", 35.0, 41.0,
                    "A temperature below 35.0 or above 41.0 °C is unusual: confirm it against the source.")


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
)

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
    consistent("AE.SER_NEEDS_CRITERION", "I.AE.SER", _SERIOUS_CRITERIA,
               lambda v: v.get("I.AE.SER") != "Y" or _criterion_given(v),
               "A serious adverse event needs at least one seriousness criterion: answer Yes to each that applies."),
    consistent("AE.CRITERION_NEEDS_SER", "I.AE.SER", _SERIOUS_CRITERIA,
               lambda v: v.get("I.AE.SER") != "N" or not _criterion_given(v),
               "A seriousness criterion is Yes, so the event is serious: answer Serious = Yes, or No to the "
               "criterion."),
    consistent("AE.GRADE5_FATAL_OUTCOME", "I.AE.OUT", ("I.AE.TOXGR",),
               lambda v: not _grade5(v) or v.get("I.AE.OUT") == "FATAL",
               "Grade 5 is death related to the event: the outcome must be Fatal (or correct the grade)."),
    consistent("AE.GRADE5_SDTH_YES", "I.AE.SDTH", ("I.AE.TOXGR",),
               lambda v: not _grade5(v) or v.get("I.AE.SDTH") == "Y",
               "Grade 5 is death related to the event: 'Results in death' must be Yes (or correct the grade)."),
    consistent("AE.GRADE5_DEATH_FORM", "I.AE.TOXGR", (), lambda v: not _grade5(v) or bool(v.get("I.DEATH.DAT")),
               "Grade 5 (death): complete the death form.", severity=Severity.SOFT, needs=("I.DEATH.DAT",)),
    same_day("AE.ONSET_TIME_SAME_DAY", "I.AE.STDAT", "I.AE.STDTC",
             "The onset date and time is not on the start date: correct one of them."),
    same_day("AE.END_TIME_SAME_DAY", "I.AE.ENDAT", "I.AE.ENDTC",
             "The end date and time is not on the end date: correct one of them."),
    before("AE.END_TIME_AFTER_ONSET", "I.AE.STDTC", "I.AE.ENDTC", strict=False,
           message="The end is before the onset."),
    before("AE.REPORT_AFTER_AWARE", "I.AE.AWAREDTC", "I.AE.RPTDTC", strict=False,
           message="The initial report cannot be sent before the site became aware of the SAE."),
    consistent("AE.DLT_IN_WINDOW", "I.AE.DLT", ("I.AE.DLTWIN",),
               lambda v: v.get("I.AE.DLT") != "true" or v.get("I.AE.DLTWIN") != "false",
               "A dose-limiting toxicity begins in the DLT window (the infusion day to the protocol's last DLT day); "
               "this onset is outside it: correct the start date, or untick DLT."),
    required_if("AE.AWARENESS_IF_SERIOUS", "I.AE.AWAREDTC", "I.AE.SER", ("Y",),
                "The event is serious: enter when the site became aware of it (it starts the 24-hour clock)."),
    required_if("AE.EXPECT_IF_SERIOUS", "I.AE.EXPECT", "I.AE.SER", ("Y",),
                "The event is serious: assess its expectedness against the reference safety information."),
    detail_if_yes("AE.AESI_TYPE", "I.AE.AESITYP", "I.AE.AESI", "Choose the type of the event of special interest."),
)

CHECKS = (*CHECKS, *AE_CHECKS)
