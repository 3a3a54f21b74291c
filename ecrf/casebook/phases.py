"""The phases of the trial the casebook groups its events by, declared once: :func:`phase_of` an event.

The schedule (ecrf.study.schedule) declares the events; which phase each belongs to follows from its OID or its
study day, so a new visit of the schedule falls into its phase without a change here:

- "subject": the subject-level forms (consent, demographics, the AE/CM/SAE logs): not a visit;
- "treatment": screening, leukapheresis, pre-lymphodepletion, lymphodepletion days and day 0 (the days up to the
  infusion, and the visits without a study day before it);
- "early": days 1-28 (the DLT window and the first month's daily and weekly visits);
- "months": months 2-24;
- "ltfu": long-term follow-up, years 3-15 (brief: yearly to 15 years);
- "unscheduled": the repeating unscheduled visit and the end of study (early termination), which can fall in any
  phase.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ecrf.study.types import StudyEvent


@dataclass(frozen=True)
class Phase:
    key: str
    label: str


PHASES: tuple[Phase, ...] = (
    Phase("subject", "Subject-level forms and logs"),
    Phase("treatment", "Screening and treatment"),
    Phase("early", "Days 1-28"),
    Phase("months", "Months 2-24"),
    Phase("ltfu", "Long-term follow-up"),
    Phase("unscheduled", "Unscheduled visits and end of study"),
)
LABELS = {p.key: p.label for p in PHASES}

#: events without a study day, by where they happen on the trial's path
_UNDATED = {"SE.LEUKAPHERESIS": "treatment", "SE.EOS": "unscheduled"}
#: the last study day of the early phase (brief: "Days 1-14, 21, 28"), and of the monthly one (month 24 = day 730)
EARLY_LAST_DAY, MONTHS_LAST_DAY = 28, 730


def phase_of(event: StudyEvent) -> str:
    """The key of the phase ``event`` belongs to (see the module's docstring)."""
    if event.type == "Common":
        return "subject"
    if event.repeating:
        return "unscheduled"
    if event.oid in _UNDATED:
        return _UNDATED[event.oid]
    if event.day is None:
        return "ltfu"
    if event.anchor == "consent" or event.day <= 0:
        return "treatment"
    if event.day <= EARLY_LAST_DAY:
        return "early"
    return "months" if event.day <= MONTHS_LAST_DAY else "ltfu"


def current(events_done: Iterable[StudyEvent], next_event: StudyEvent | None) -> str:
    """The phase to open: the next due visit's, else the latest visit with data's, else screening and treatment.

    ``events_done`` are the visits with data in schedule order; the unscheduled visit never decides (it happens in
    any phase), and neither do the subject-level forms."""
    if next_event is not None and phase_of(next_event) not in ("subject", "unscheduled"):
        return phase_of(next_event)
    latest = "treatment"
    for event in events_done:
        if phase_of(event) not in ("subject", "unscheduled"):
            latest = phase_of(event)
    return latest
