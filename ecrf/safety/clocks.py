"""The clocks of a serious adverse event: which reports are due when, from the moment the site became aware.

Pure functions over the facts of one SAE and the reports sent for it; no database, no time of their own (``now``
is passed in), so a test can stop the clock anywhere.

Sources (``docs/reference/domain-reference.md`` section 7 "Reporting timelines", and the protocol brief
``docs/reference/protocol-brief.md`` "Safety reporting"):

* **Initial report, investigator -> sponsor: within 24 hours of awareness.** ICH E6(R2) 4.11.1 says
  "immediately"; the brief and the national rules operationalise it as 24 h of site awareness.
* **Follow-up reports: within 15 days of new information** (the brief; domain reference, tysih site SOP).
* **SUSAR expedited report** (a suspected unexpected serious adverse reaction: serious, related to the CAR-T cells
  or to lymphodepletion, and unexpected per the reference safety information): **fatal or life-threatening
  within 7 calendar days**, then a follow-up ("as complete a report as possible") **within 8 additional calendar
  days**; **other SUSARs within 15 calendar days** (ICH E2A III.A.1 and III.A.2; EU CT-3 guidance 7.2.3.4; China
  NMPA/CDE applies the same 7/15-day rule). In an investigator-initiated trial the investigator is the sponsor,
  so the SUSAR clock also starts at the site's awareness.

Choices, stated so they can be reviewed:

* Related means "possibly", "probably" or "definitely related" (code list CL.AEREL: POSSIBLY RELATED, PROBABLY
  RELATED, RELATED) to the CAR-T cells **or** to lymphodepletion: ICH E2A's "reasonable possibility".
  "Unlikely related" is not related.
* Expectedness not yet assessed counts as **unexpected** for a serious related event: the SUSAR clock runs until
  someone records "expected", so a deadline is never missed for want of an answer.
* Due times are exact moments: awareness + 24 h, + 7 x 24 h, + 15 x 24 h. A calendar-day deadline counted from
  day 0 = the day of awareness ends at midnight of its last day, so these moments are never later than the
  regulatory deadline (the clock errs early, never late).
* The SUSAR follow-up is due 8 days after the 7-day report was sent; while it has not been sent, 8 days after
  the 7-day report's due time.
* A follow-up report answers the latest new information when it is sent at or after that information arrived.
* "Due soon": less than a quarter of the time allowed remains (6 of 24 hours; 1.75 of 7 days; 3.75 of 15 days).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

#: the rules' version, shown with the list
VERSION = "SAE clocks v1 (ICH E2A; protocol brief 'Safety reporting')"

RELATED = frozenset({"POSSIBLY RELATED", "PROBABLY RELATED", "RELATED"})

INITIAL_WITHIN = timedelta(hours=24)
FOLLOW_UP_WITHIN = timedelta(days=15)
SUSAR_FATAL_WITHIN = timedelta(days=7)
SUSAR_OTHER_WITHIN = timedelta(days=15)
SUSAR_FOLLOW_UP_WITHIN = timedelta(days=8)
DUE_SOON_SHARE = 0.25

#: report types (code list CL.SAERPTTYP) and the clock each one stops
INITIAL, FOLLOW_UP, SUSAR, SUSAR_FOLLOW_UP = "INITIAL", "FOLLOWUP", "SUSAR", "SUSAR_FU"
LABELS = {
    INITIAL: "Initial report to the sponsor (24 h)",
    FOLLOW_UP: "Follow-up report (15 days from new information)",
    SUSAR: "SUSAR expedited report",
    SUSAR_FOLLOW_UP: "SUSAR follow-up report (8 days)",
}
#: a clock's states: sent in time, sent late, not sent and past due, not sent with little time left, not sent
STATES = ("sent", "sent_late", "overdue", "due_soon", "open")


def is_related(*assessments: str | None) -> bool:
    """Whether any causality assessment (CAR-T cells, lymphodepletion) says possibly, probably or definitely."""
    return any(a in RELATED for a in assessments)


@dataclass(frozen=True)
class SaeFacts:
    """What the clocks read of one serious adverse event."""

    awareness: datetime | None
    related: bool
    #: False only when expectedness was assessed as expected (see the module docstring)
    unexpected: bool
    fatal_or_life_threatening: bool
    #: when the latest new (follow-up) information was received, if any
    new_information: datetime | None = None

    @property
    def susar(self) -> bool:
        return self.related and self.unexpected


@dataclass(frozen=True)
class Report:
    """A report sent (a record of F.SAERPT, or the AE form's initial report time)."""

    type: str
    sent_at: datetime


@dataclass(frozen=True)
class Clock:
    """One report that is due: from when, by when, and when it was sent (None: not yet)."""

    type: str
    starts: datetime
    due: datetime
    sent: datetime | None

    @property
    def label(self) -> str:
        return LABELS[self.type]

    def state(self, now: datetime) -> str:
        if self.sent is not None:
            return "sent" if self.sent <= self.due else "sent_late"
        if now > self.due:
            return "overdue"
        if self.due - now < (self.due - self.starts) * DUE_SOON_SHARE:
            return "due_soon"
        return "open"


def _first(reports: Iterable[Report], type_: str, not_before: datetime | None = None) -> datetime | None:
    times = [r.sent_at for r in reports if r.type == type_ and (not_before is None or r.sent_at >= not_before)]
    return min(times, default=None)


def susar_within(facts: SaeFacts) -> timedelta:
    """The expedited report's time allowed: 7 days fatal or life-threatening, 15 days otherwise."""
    return SUSAR_FATAL_WITHIN if facts.fatal_or_life_threatening else SUSAR_OTHER_WITHIN


def clocks(facts: SaeFacts, reports: Iterable[Report] = ()) -> list[Clock]:
    """Every report due for the SAE, in the order they fall due; none while awareness is not recorded."""
    reports = list(reports)
    if facts.awareness is None:
        return []
    aware = facts.awareness
    out = [Clock(INITIAL, aware, aware + INITIAL_WITHIN, _first(reports, INITIAL))]
    if facts.susar:
        expedited = Clock(SUSAR, aware, aware + susar_within(facts), _first(reports, SUSAR))
        out.append(expedited)
        if facts.fatal_or_life_threatening:
            base = expedited.sent or expedited.due
            out.append(Clock(SUSAR_FOLLOW_UP, base, base + SUSAR_FOLLOW_UP_WITHIN,
                             _first(reports, SUSAR_FOLLOW_UP, not_before=expedited.sent)))
    if facts.new_information is not None:
        news = facts.new_information
        out.append(Clock(FOLLOW_UP, news, news + FOLLOW_UP_WITHIN, _first(reports, FOLLOW_UP, not_before=news)))
    return sorted(out, key=lambda c: c.due)


def worst(clocks_: Iterable[Clock], now: datetime) -> str | None:
    """The most urgent state among the clocks (overdue before due soon before open before sent), or None."""
    order = {"overdue": 0, "due_soon": 1, "open": 2, "sent_late": 3, "sent": 4}
    states = [c.state(now) for c in clocks_]
    return min(states, key=order.__getitem__, default=None)
