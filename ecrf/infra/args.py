"""Numbers and dates out of a request: URL segments, query strings and form fields, read by the rules of
:mod:`ecrf.study.literals` (ASCII digits, one spelling, bounded to the column they are looked up in).

The faces call these instead of ``request.args.get(name, type=int)`` and ``date.fromisoformat``: a malformed
value is a :class:`~ecrf.study.literals.BadLiteral` (the web answers 400 with its message, the API its JSON
400), never a number the database cannot hold. ``values`` is ``request.args`` or ``request.form``.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from werkzeug.routing import BaseConverter, ValidationError

from ecrf.errors import NotFound
from ecrf.study import literals
from ecrf.study.literals import INT32_MAX, BadLiteral

__all__ = ["BadLiteral", "RowIdConverter", "date_arg", "int_arg", "repeat_arg"]


def int_arg(values: Mapping[str, str], name: str, default: int | None, low: int = 0,
            high: int = INT32_MAX) -> int | None:
    """The whole number in ``values[name]`` within [low, high]; ``default`` when absent or empty."""
    text = values.get(name)
    if text is None or text == "":
        return default
    return literals.integer(text, low, high, name)


def repeat_arg(values: Mapping[str, str], name: str) -> int:
    """A repeat number (default 1): BadLiteral when malformed, NotFound when no repeat can have it."""
    text = values.get(name)
    if text is None or text == "":
        return 1
    try:
        return literals.integer(text, 1, INT32_MAX, name)
    except BadLiteral:
        if literals.is_integer(text):
            raise NotFound("No such repeat of this event or form.") from None
        raise


def date_arg(values: Mapping[str, str], name: str) -> date | None:
    """The YYYY-MM-DD date in ``values[name]`` (a plausible year); None when absent or empty."""
    text = values.get(name)
    if text is None or text == "":
        return None
    return literals.day(text, name)


class RowIdConverter(BaseConverter):
    """``<int:...>`` in a URL rule: ASCII digits naming a row of an ``integer`` column; anything else is a 404.

    Werkzeug's own converter matches ``\\d``, which takes every script's digits, and has no upper bound, so
    ``/admin/users/99999999999999999999`` reached the database as a number no id column can hold.
    """

    regex = "[0-9]+"
    weight = 50

    def to_python(self, value: str) -> int:
        if len(value) > 10 or int(value) > INT32_MAX:
            raise ValidationError()
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
