"""Women of childbearing potential and the pregnancy tests the protocol requires (brief: "Pregnancy tests").

Pure functions over stored values; the guards in ecrf.treatment.guards apply them.
"""
from __future__ import annotations

from datetime import date, timedelta

from ecrf.clinical.wocbp import wocbp_status
from ecrf.study import protocol

#: events at which a WOCBP needs a negative test (screening, before LD, before infusion, follow-up to month 12)
TEST_EVENTS = ("SE.SCREENING", "SE.PRELD", "SE.D0", "SE.D28", "SE.M2", "SE.M3", "SE.M6", "SE.M9", "SE.M12")
FOLLOW_UP_TEST_EVENTS = TEST_EVENTS[3:]


def is_wocbp(dm: dict) -> bool | None:
    """True/False from the demographics form; None while sex or menarche is unknown."""
    sex = dm.get("I.DM.SEX")
    if not sex:
        return None
    menarche = dm.get("I.DM.MENARCHE")
    if sex == "F" and menarche is None:
        return None
    sterile = [dm["I.DM.STERILTYP"]] if dm.get("I.DM.STERIL") == "true" and dm.get("I.DM.STERILTYP") else []
    return wocbp_status(sex, None if menarche is None else menarche == "true", sterile,
                        dm.get("I.DM.POSTMENO") == "true").is_wocbp


def required_forms(wocbp: bool | None) -> set[tuple[str, str]]:
    """(event, form) pairs that become required for a woman of childbearing potential: the pregnancy test at
    every test timepoint and the contraception form wherever it is collected (screening to month 12)."""
    if not wocbp:
        return set()
    tests = {(event, "F.PREG") for event in TEST_EVENTS}
    contraception = {(event, "F.CONTRA") for event in TEST_EVENTS if event not in ("SE.PRELD", "SE.D0")}
    return tests | contraception


def clearance_problem(test: dict, step: str, step_date: date, test_date: date | None, window_days: int) -> str | None:
    """Why the pregnancy test does not clear ``step`` on ``step_date``, or None when it does."""
    if not test or not test.get("I.PREG.RES"):
        return f"A negative pregnancy test is required before {step}, and none is recorded."
    if test["I.PREG.RES"] != "NEG":
        return f"The pregnancy test before {step} is not negative: {step} cannot go ahead."
    if test_date is None or test_date > step_date or test_date < step_date - timedelta(days=window_days):
        return (f"The pregnancy test of {test_date} is not within {window_days} day(s) before {step} "
                f"on {step_date}: repeat it.")
    return None


def contraception_until(infusion: date) -> date:
    return infusion + timedelta(days=protocol.active().contraception_days)
