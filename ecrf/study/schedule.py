"""The schedule of events (protocol brief, "Schedule of events"; day 0 = CAR-T infusion).

Windows follow the brief's defaults; change them here, not in code that reads them.
"""
from __future__ import annotations

from datetime import date

from ecrf.study.types import FormRef, StudyEvent

#: the item whose site-local date is study day 0: the start of the CAR-T infusion (F.INF at SE.D0)
INFUSION_START = "I.INF.STDTC"

# The visit-date items (StudyEvent.date_item), each on the first form of its visits. A visit is dated by the
# item the protocol means, never by the earliest date on its forms (an SLE diagnosis in 2018 once dated screening).
VISIT_DATE = "I.SV.STDAT"  # F.SV, first at screening: no screening form has a date that is the visit's own
VITALS_DATE = "I.VS.DTC"  # F.VS, first at every visit that starts with vital signs
LD_DATE = "I.LDDOSE.DAT"  # F.LDDOSE, first on each lymphodepletion day (F.LD's date is when the size was measured)
LEUK_DATE = "I.LEUK.STDTC"
LTFU_DATE = "I.LTFU.DAT"
EOS_DATE = "I.EOS.DAT"


def study_day(day: date | None, day0: date | None) -> int | None:
    """Days from the infusion day (day 0; the days before it negative, none skipped); None without both dates."""
    return (day - day0).days if day is not None and day0 is not None else None


def _refs(*oids: str, optional: tuple[str, ...] = ()) -> tuple[FormRef, ...]:
    return tuple(FormRef(o) for o in oids) + tuple(FormRef(o, required=False) for o in optional)


# Forms collected at every early post-infusion visit (brief: "Days 1-14, 21, 28").
_EARLY = ("F.VS", "F.CRS", "F.ICANS", "F.HEM", "F.CHEM", "F.CYTOKINE", "F.CARTPK")
# Months 2-24; pregnancy test and contraception only up to month 12.
_MONTHLY = ("F.VS", "F.HEM", "F.CHEM", "F.IMMUNO", "F.UA", "F.SLEDAI", "F.PGA", "F.CARTPK", "F.GCIS", "F.BILAG")
_WOCBP = ("F.PREG", "F.CONTRA")  # optional: only women of childbearing potential


def _ltfu(year: int) -> StudyEvent:
    return StudyEvent(f"SE.Y{year}", f"Long-term follow-up year {year}", _refs("F.LTFU", "F.CARTPK"),
                      day=365 * year, window_before=30, window_after=30, short=f"Y{year}", date_item=LTFU_DATE)


def _month(month: int, day: int, window: int, wocbp: bool) -> StudyEvent:
    return StudyEvent(f"SE.M{month}", f"Month {month}", _refs(*_MONTHLY, optional=_WOCBP if wocbp else ()),
                      day=day, window_before=window, window_after=window, short=f"M{month}", date_item=VITALS_DATE)


SUBJECT = StudyEvent(
    "SE.SUBJECT", "Subject-level forms",
    _refs("F.IC", "F.DM", "F.ENROL", optional=("F.AE", "F.CM", "F.PREGREP", "F.DEATH", "F.SAERPT")),
    anchor="none", type="Common", short="Subject",
)

SCHEDULE: tuple[StudyEvent, ...] = (
    SUBJECT,
    StudyEvent(
        "SE.SCREENING", "Screening",
        _refs("F.SV", "F.SLEHX", "F.PRIORTX", "F.MH", "F.VS", "F.HTWT", "F.PE", "F.HEM", "F.CHEM", "F.IMMUNO",
              "F.UA", "F.SEROLOGY", "F.CARDIO", "F.CHEST", "F.SLEDAI", "F.PGA", "F.ELIG", "F.BILAG", "F.GCIS",
              optional=_WOCBP),
        day=0, window_before=0, window_after=28, anchor="consent", short="Scr", date_item=VISIT_DATE,
    ),
    StudyEvent("SE.LEUKAPHERESIS", "Leukapheresis and manufacturing", _refs("F.LEUK", "F.PRODUCT"),
               anchor="none", short="Leuk", date_item=LEUK_DATE),
    StudyEvent("SE.PRELD", "Pre-lymphodepletion check", _refs("F.VS", "F.HEM", "F.CHEM", optional=("F.PREG",)),
               day=-7, window_before=0, window_after=1, short="D-7", date_item=VITALS_DATE),
    StudyEvent("SE.LD1", "Lymphodepletion day -5", _refs("F.LDDOSE", "F.LD"), day=-5, short="D-5",
               date_item=LD_DATE),
    StudyEvent("SE.LD2", "Lymphodepletion day -4", _refs("F.LDDOSE"), day=-4, short="D-4", date_item=LD_DATE),
    StudyEvent("SE.LD3", "Lymphodepletion day -3", _refs("F.LDDOSE"), day=-3, short="D-3", date_item=LD_DATE),
    StudyEvent("SE.D0", "CAR-T infusion (day 0)",
               _refs("F.INF", "F.VS", optional=("F.PREG", "F.CRS", "F.ICANS", "F.HEM", "F.CHEM", "F.CYTOKINE")),
               day=0, short="D0", date_item=INFUSION_START),
    *(StudyEvent(f"SE.D{d}", f"Day {d}", _refs(*_EARLY), day=d, short=f"D{d}",
                 date_item=VITALS_DATE) for d in range(1, 15)),
    StudyEvent("SE.D21", "Day 21", _refs(*_EARLY), day=21, window_before=2, window_after=2, short="D21",
               date_item=VITALS_DATE),
    StudyEvent("SE.D28", "Day 28", _refs(*_EARLY, "F.IMMUNO", "F.SLEDAI", "F.PGA", "F.BILAG", "F.GCIS",
                                          optional=_WOCBP),
               day=28, window_before=3, window_after=3, short="D28", date_item=VITALS_DATE),
    *(_month(m, day, window, wocbp=m <= 12) for m, day, window in (
        (2, 60, 7), (3, 90, 7), (6, 180, 14), (9, 270, 14), (12, 365, 14), (18, 545, 30), (24, 730, 30))),
    *(_ltfu(y) for y in range(3, 16)),
    StudyEvent("SE.UNSCHED", "Unscheduled visit",
               _refs("F.VS", optional=("F.HEM", "F.CHEM", "F.CRS", "F.ICANS", "F.CYTOKINE", "F.CARTPK", "F.PREG")),
               anchor="none", repeating=True, type="Unscheduled", short="Unsch", date_item=VITALS_DATE),
    StudyEvent("SE.EOS", "End of study / early termination", _refs("F.EOS"), anchor="none", type="Unscheduled",
               short="EOS", date_item=EOS_DATE),
)
