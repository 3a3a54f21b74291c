"""Field types of the request bodies: each checks its JSON value itself, so that a refusal names the field in
plain words (``reason must have at most 500 characters.``) rather than in pydantic's terms.

Every check raises a ``PydanticCustomError`` of type ``ecrf`` whose message is final; ecrf.api.parsing turns
them into the 422 body. Values are never coerced: ``"1"`` is not a repeat number, ``true`` is not a version.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, PlainValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

INT32_MAX = 2**31 - 1
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def refuse(message: str) -> PydanticCustomError:
    """A refusal whose message is shown as it is (braces in it are not placeholders)."""
    return PydanticCustomError("ecrf", "{message}", {"message": message})


def _clean(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise refuse(f"{name} must be a string.")
    if "\x00" in value:
        raise refuse(f"{name} contains a NUL character.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
        raise refuse(f"{name} is not valid Unicode text.") from None
    return value


def _text(max_length: int | None, required: bool) -> Callable[[Any, ValidationInfo], str | None]:
    def check(value: Any, info: ValidationInfo) -> str | None:
        if value is None:
            if required:  # null for a required text is the same refusal as leaving it out
                raise refuse(f"{info.field_name} is required.")
            return None
        value = _clean(info.field_name, value)
        if max_length is not None and len(value) > max_length:
            raise refuse(f"{info.field_name} must have at most {max_length} characters.")
        return value
    return check


def Text(max_length: int | None = None, description: str | None = None):
    """A required string without NUL characters, of at most ``max_length`` characters."""
    return Annotated[str, BeforeValidator(_text(max_length, True)),
                     Field(max_length=max_length, description=description)]


def OptionalText(max_length: int | None = None, description: str | None = None):
    """A string as :func:`Text`, or null."""
    # the length constraint on the string alone: on the union pydantic would apply it to null too (a TypeError)
    return Annotated[Annotated[str, Field(max_length=max_length)] | None, BeforeValidator(_text(max_length, False)),
                     Field(description=description)]


def Choice(choices: tuple[str, ...]):
    """A string that must be one of ``choices`` (an ``enum`` in the schema)."""
    def check(value: Any, info: ValidationInfo) -> str:
        value = _text(None, True)(value, info)
        if value not in choices:
            raise refuse(f"{info.field_name} must be one of {', '.join(choices)}.")
        return value
    return Annotated[str, BeforeValidator(check), WithJsonSchema({"enum": list(choices)})]


def _day(value: Any, info: ValidationInfo) -> date:
    value = _text(None, True)(value, info)
    if _DATE.fullmatch(value):  # only YYYY-MM-DD, not the other ISO 8601 spellings fromisoformat takes
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise refuse(f"{info.field_name} must be a date, YYYY-MM-DD.")


Day = Annotated[date, BeforeValidator(_day)]


def _codes(value: Any, info: ValidationInfo) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise refuse(f"{info.field_name} must be a list of criterion codes.")
    return list(dict.fromkeys(_clean(f"Each of {info.field_name}", v) for v in value))  # no duplicates, in order


Codes = Annotated[list[str], BeforeValidator(_codes)]


def _repeat(value: Any, info: ValidationInfo) -> int:
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= INT32_MAX:
        raise refuse(f"{info.field_name} must be an integer from 1 to {INT32_MAX}.")
    return value


Repeat = Annotated[int, BeforeValidator(_repeat), Field(ge=1, le=INT32_MAX)]


def _utc(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


#: a moment in UTC, written with Z (responses)
Timestamp = Annotated[datetime, PlainSerializer(_utc, return_type=str),
                      WithJsonSchema({"type": "string", "format": "date-time"})]


def _scalar(value: Any) -> str | int | float | bool | None:
    if isinstance(value, (dict, list)):
        raise refuse("Give one value: a string, number, boolean or null.")
    return value


#: one item's value in a form write, as the web form would send it: a scalar, typed or as text
ItemValue = Annotated[str | int | float | bool | None, PlainValidator(_scalar),
                      WithJsonSchema({"type": ["string", "number", "boolean", "null"]})]


def _version(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise refuse("version must be an integer: the version you read (0 for a form never saved).")
    return value


Version = Annotated[int, BeforeValidator(_version)]


def _items(value: Any) -> Any:
    if not isinstance(value, dict):
        raise refuse("items must be a JSON object mapping item OIDs to values.")
    return value


ItemValues = Annotated[dict[str, ItemValue], BeforeValidator(_items)]
