"""Which items the monitor verifies against source: a site's SDV plan, as a pure function over the definition.

A plan says: every item of the first ``full_first_n`` subjects of the site (in the order they were created
there), then for the later subjects ``then``: "critical" items only (``Item.critical``: consent, eligibility,
dosing, serious adverse events, endpoints), "all" items, or "none". The study-wide default is the protocol's
(``sdv_full_first_subjects``, ``sdv_then``); a site without a plan of its own follows it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ecrf.study import protocol
from ecrf.study.types import Form

THEN = ("critical", "all", "none")
#: a plan may ask for full verification of at most this many subjects per site (the trial has 18 in all)
MAX_FULL_FIRST = 1000


@dataclass(frozen=True)
class Plan:
    full_first_n: int
    then: str = "critical"

    def __post_init__(self):
        if self.then not in THEN:
            raise ValueError(f"unknown SDV plan rule {self.then!r} (known: {', '.join(THEN)})")
        if not 0 <= self.full_first_n <= MAX_FULL_FIRST:
            raise ValueError(f"full_first_n must be between 0 and {MAX_FULL_FIRST}")

    def full(self, subject_rank: int) -> bool:
        """Whether every item of the subject at ``subject_rank`` (1 = the site's first subject) is verified."""
        return subject_rank <= self.full_first_n

    def rule(self, subject_rank: int) -> str:
        """"all", "critical" or "none": what this plan asks of the subject at ``subject_rank``."""
        return "all" if self.full(subject_rank) else self.then


def default() -> Plan:
    """The study-wide plan of the protocol in force."""
    p = protocol.active()
    return Plan(p.sdv_full_first_subjects, p.sdv_then)


def required_items(plan: Plan, subject_rank: int, form: Form) -> set[str]:
    """The OIDs of ``form``'s items that ``plan`` requires verified for the site's ``subject_rank``-th subject
    (whether they hold a value is the caller's question: an empty item has nothing to verify)."""
    rule = plan.rule(subject_rank)
    if rule == "all":
        return {item.oid for item in form.items}
    if rule == "critical":
        return {item.oid for item in form.items if item.critical}
    return set()
