"""Input checks shared by the calculators: every bad value raises ValueError with its name.

Wrong types raise ValueError too (not TypeError), so form code catches one exception for any
bad answer; hence the ``noqa: TRY004`` marks.
"""
from __future__ import annotations

import math
from collections.abc import Iterable


def number(name: str, value: object) -> float:
    """Return ``value`` as a float, refusing booleans, non-numbers, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")  # noqa: TRY004
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return result


def positive(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite number greater than zero."""
    result = number(name, value)
    if result <= 0:
        raise ValueError(f"{name} must be greater than zero, got {value!r}")
    return result


def non_negative(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite number of zero or more."""
    result = number(name, value)
    if result < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return result


def in_range(name: str, value: object, low: float, high: float) -> float:
    """Return ``value`` as a float if ``low <= value <= high``."""
    result = number(name, value)
    if not low <= result <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return result


def integer(name: str, value: object, low: int, high: int) -> int:
    """Return ``value`` if it is an int (not a bool) with ``low <= value <= high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")  # noqa: TRY004
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value!r}")
    return value


def flag(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool (yes/no answers must be explicit)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")  # noqa: TRY004
    return value


def choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of the ``allowed`` codes."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; expected one of: {', '.join(allowed)}")
    return value  # type: ignore[return-value]


def id_set(name: str, ids: Iterable[str], known: Iterable[str]) -> frozenset[str]:
    """Return the ids as a set, refusing a bare string and any id not in ``known``."""
    if isinstance(ids, (str, bytes)):
        raise ValueError(f"{name} must be a collection of ids, not the single string {ids!r}")  # noqa: TRY004
    result = frozenset(ids)
    unknown = sorted(str(i) for i in result.difference(known))
    if unknown:
        raise ValueError(f"unknown {name}: {', '.join(unknown)}")
    return result


SEX_CODES = {"female": "female", "f": "female", "male": "male", "m": "male"}


def sex(value: object) -> str:
    """Normalise a sex code (female/male or CDISC F/M, any case) to 'female' or 'male'."""
    key = value.strip().lower() if isinstance(value, str) else value
    if key not in SEX_CODES:
        raise ValueError(f"sex must be 'female' or 'male' (or F/M), got {value!r}")
    return SEX_CODES[key]  # type: ignore[index]
