"""Calculated items: the server recomputes them from the entered values and stores the result.

An item with ``calculated="name"`` is filled by the calculator registered under
that name (see ecrf/forms/calculators.py); whatever a client sent is ignored.
A calculator may read facts from the subject's other forms (date of birth, sex,
height) by naming their item OIDs in ``needs``; they are fetched in one query.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ecrf.forms.types import Form


@dataclass(frozen=True)
class Calculated:
    """A derived value and the formula (with its version) that produced it."""

    value: str | None
    formula: str | None = None


@dataclass(frozen=True)
class Calculator:
    fn: Callable[..., Calculated]
    needs: tuple[str, ...] = ()
    per_item: bool = False  # fn(values, facts, item_oid): one calculator serving several items


CALCULATORS: dict[str, Calculator] = {}


def calculator(name: str, needs: tuple[str, ...] = (), per_item: bool = False):
    """Register ``fn(values, facts) -> Calculated`` (with ``per_item``: ``fn(values, facts, oid)``) under ``name``."""
    def register(fn):
        CALCULATORS[name] = Calculator(fn, needs, per_item)
        return fn
    return register


def needs(form: Form) -> set[str]:
    """Item OIDs from other forms that the form's calculators read."""
    _load()
    return {oid for i in form.items if i.calculated and i.calculated in CALCULATORS
            for oid in CALCULATORS[i.calculated].needs}


def calculate(form: Form, values: Mapping[str, str | None], facts: Mapping[str, str | None]) -> dict[str, Calculated]:
    """The form's calculated items; a calculator that cannot compute (missing or impossible input) gives None."""
    _load()
    out = {}
    for item in form.items:
        if item.calculated and (calc := CALCULATORS.get(item.calculated)):
            try:
                out[item.oid] = calc.fn(values, facts, item.oid) if calc.per_item else calc.fn(values, facts)
            except (ValueError, TypeError, ArithmeticError):
                out[item.oid] = Calculated(None)
    return out


def _load() -> None:
    from ecrf.forms import calculators  # noqa: F401  (registers)
