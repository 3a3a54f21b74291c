"""Calculated items: the shapes of a derived value and of the calculator that produces it.

An item with ``calculated="name"`` is filled by the calculator of that name in ``ecrf.study.calculators``;
whatever a client sent is ignored. A calculator may read facts from the subject's other forms (date of birth,
sex, height) by naming their item OIDs in ``needs``; capture fetches them in one query. A calculator may also
read the subject's *other instances of the same form* (the earlier CRS assessments of the episode) by naming
item OIDs in ``history``: capture passes them as ``facts[HISTORY]``, a tuple of {OID: value} dicts, one per other
instance, and the calculator picks the ones it wants (those assessed before this one). A change of one of those
items on one instance recomputes the others (``ecrf.capture.derived``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: the key of a calculator's facts holding the subject's other instances of the same form (see ``history``)
HISTORY = "@history"
#: the key of a calculator's facts holding the subject's site laboratories and their ranges
#: (an ``ecrf.clinical.lab_ranges.SiteRanges``, limits in the CRF item's unit)
LAB_RANGES = "@lab_ranges"


@dataclass(frozen=True)
class Calculated:
    """A derived value and the formula (with its version) that produced it."""

    value: str | None
    formula: str | None = None
    #: why there is no value: the item OIDs still missing (on this form or the subject's others) ...
    missing: tuple[str, ...] = ()
    #: ... or the calculator's refusal of the inputs (an age outside the equation's band, a zero creatinine)
    problem: str | None = None

    @property
    def blocked(self) -> bool:
        """No value, and a reason to show for it."""
        return self.value is None and bool(self.missing or self.problem)


@dataclass(frozen=True)
class Calculator:
    """``fn(values, facts, ctx)``, or with ``per_item`` ``fn(values, facts, ctx, item_oid)`` for one calculator
    serving several items; ``needs`` are the item OIDs it reads from the subject's other forms, ``history`` those it
    reads from the subject's other instances of the same form; ``grades``: the value is a grade, so a value it
    cannot compute is shown as "Cannot grade: ..." (never an empty grade)."""

    fn: Callable[..., Calculated]
    needs: tuple[str, ...] = ()
    per_item: bool = False
    history: tuple[str, ...] = ()
    grades: bool = False
    #: reads the normal ranges of the subject's site laboratories (``facts[LAB_RANGES]``, ecrf.labs)
    ranges: bool = False
