"""The trial's edit checks, declared next to the CRFs (kinds and semantics: ``ecrf.study.checks``).

Severity, as a monitor would want it:

* **hard** where the data are impossible and the fix is on the entry screen: a diastolic pressure not below
  the systolic (a pulse pressure of zero or less cannot be measured: the two numbers were swapped or mistyped;
  the issue's 130/118 is refused at the field), an end before its start.
* **soft** where the data are implausible or incomplete but may be true, and someone should look: the value is
  stored and a system query opens on the item (a dosing weight more than 10 % from the lymphodepletion weight,
  an AE onset before consent, a visit date outside participation, a temperature outside 35-41 °C, a "yes"
  without its detail). Required-if checks also keep the form incomplete until the item is answered.

The safety forms' checks (CRS, ICANS, their links to the AE and medication logs, adverse events) are in
``ecrf.study.crfs.safety_checks``.
"""
from __future__ import annotations

from dataclasses import replace

from ecrf.study import calculators
from ecrf.study.checks import (
    Check,
    Severity,
    before,
    detail_if_yes,
    in_range,
    not_before_first,
    required_if,
    within_participation,
    within_percent,
)
from ecrf.study.crfs.labs import CHECKS as LAB_CHECKS
from ecrf.study.crfs.safety_checks import AE_CHECKS, ASTCT_CHECKS

CONSENT = "I.IC.DTC"
PARTICIPATION_ENDS = ("I.EOS.DAT", "I.DEATH.DAT")

#: the main date of each visit form: it must fall inside the participant's participation
VISIT_DATES = ("I.SV.STDAT", "I.VS.DTC", "I.PE.DAT", "I.HTWT.DAT", "I.HEM.DTC", "I.CHEM.DTC", "I.UA.DTC",
               "I.SLEDAI.DAT", "I.PGA.DAT", "I.GCIS.DAT", "I.LEUK.STDTC", "I.LD.DAT", "I.LDDOSE.DAT", "I.INF.STDTC",
               "I.CRS.DTC", "I.ICANS.DTC", "I.LTFU.DAT", "I.BILAG.DAT")


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
    before("MH.END_AFTER_START", "I.MH.STDAT", "I.MH.ENDAT", strict=False, partial=True, severity=Severity.SOFT,
           message="The end date is before the start date."),
    before("SLEHX.ONSET_FIRST", "I.SLEHX.ONSETDAT", "I.SLEHX.DIAGDAT", strict=False, partial=True,
           severity=Severity.SOFT, message="The first symptoms are dated after the diagnosis: check both dates."),
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
CHECKS = (*CHECKS, *DOSE_CHECKS, *CREATININE_CHECKS, *AE_CHECKS, *LAB_CHECKS)

__all__ = ["CHECKS", "Severity"]

