"""Reading the bodies of the trial-path API writes: shape and types only (400); trial rules are the services'."""
from __future__ import annotations

import re
from datetime import date

from ecrf.api import inputs
from ecrf.api.errors import ApiError

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def body(fields: tuple[str, ...]) -> dict:
    """The request body: a JSON object with no fields but ``fields``; 400 otherwise."""
    data = inputs.json_body()
    shape = "{" + ", ".join(f'"{f}"' for f in fields) + "}"
    if not isinstance(data, dict):
        raise ApiError(400, f"The body must be a JSON object {shape}.")
    if unknown := sorted(set(data) - set(fields)):
        raise ApiError(400, f"Unknown fields in the body: {', '.join(unknown)}.", unknown_fields=unknown)
    return data


def _clean(name: str, value) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string.")
    if "\x00" in value:
        raise ApiError(400, f"{name} contains a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, f"{name} is not valid Unicode text.") from None
    return value


def text(data: dict, name: str, *, required: bool = True, max_length: int | None = None) -> str | None:
    """A string field: 400 when absent (if required), not a string, too long, or holding a NUL character."""
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"{name} is required.")
        return None
    value = _clean(name, value)
    if max_length is not None and len(value) > max_length:
        raise ApiError(400, f"{name} must have at most {max_length} characters.")
    return value


def choice(data: dict, name: str, choices: tuple[str, ...]) -> str:
    """A string field that must be one of ``choices``."""
    value = text(data, name)
    if value not in choices:
        raise ApiError(400, f"{name} must be one of {', '.join(choices)}.")
    return value


def day(data: dict, name: str) -> date:
    """A required date field, YYYY-MM-DD."""
    value = text(data, name)
    try:
        if _DATE.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ApiError(400, f"{name} must be a date, YYYY-MM-DD.")


def codes(data: dict, name: str) -> list[str]:
    """An optional list of strings (default empty), without duplicates, in the order given."""
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, f"{name} must be a list of criterion codes.")
    return list(dict.fromkeys(_clean(f"Each of {name}", v) for v in value))


def repeat(data: dict, name: str) -> int:
    """An optional repeat number (default 1), an integer from 1."""
    value = data.get(name)
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= inputs.INT32_MAX:
        raise ApiError(400, f"{name} must be an integer from 1 to {inputs.INT32_MAX}.")
    return value
