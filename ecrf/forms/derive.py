"""Calculated items: the server recomputes them from the entered values and stores the result.

An item with ``calculated="name"`` is filled by the calculator registered under
that name; whatever a client sent for it is ignored.
"""
from __future__ import annotations

from collections.abc import Callable

from ecrf.forms.types import Form

CALCULATORS: dict[str, Callable] = {}


def calculator(name: str):
    """Register ``fn(values, **context) -> str | None`` as the calculator ``name``."""
    def register(fn: Callable) -> Callable:
        CALCULATORS[name] = fn
        return fn
    return register


def calculate(form: Form, values: dict, **context) -> dict[str, str | None]:
    """Values of the form's calculated items (those with a registered calculator)."""
    out = {}
    for item in form.items:
        if item.calculated and (fn := CALCULATORS.get(item.calculated)):
            out[item.oid] = fn(values, item=item, **context)
    return out
