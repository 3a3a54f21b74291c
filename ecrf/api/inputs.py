"""Reading API input: size-limited JSON bodies, integer query arguments, and the body of a form write."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from flask import current_app, request

from ecrf.api.errors import ApiError
from ecrf.study.reasons import REASONS
from ecrf.study.types import Form

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
WRITE_KEYS = frozenset({"version", "items", "reason"})
MESSAGES_422 = "Nothing was saved: correct the values listed in errors."


@dataclass(frozen=True)
class Write:
    """A form write as the capture service takes it."""

    version: int
    items: dict
    reason_code: str | None
    reason_note: str | None


def check_length() -> None:
    """Refuse a declared body larger than API_MAX_BODY_BYTES before anything reads it."""
    if (request.content_length or 0) > current_app.config["API_MAX_BODY_BYTES"]:
        raise ApiError(413, f"The request body is larger than {current_app.config['API_MAX_BODY_BYTES']} bytes.")


def json_body():
    """The request body parsed as JSON; 413 when it is too large (whatever was declared), 400 when not JSON."""
    check_length()
    limit = current_app.config["API_MAX_BODY_BYTES"]
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"The request body is larger than {limit} bytes.")
    try:
        return json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "The body is not valid JSON.") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _integer(name: str) -> int | None:
    text = request.args.get(name)
    if text is None:
        return None
    if len(text) > 40 or not _INTEGER.fullmatch(text.strip()):
        raise ApiError(400, f"The query argument {name} must be an integer.")
    return int(text)


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """An integer query argument in [low, high] (400 otherwise), or ``default`` when absent."""
    value = _integer(name)
    if value is None:
        return default
    if not low <= value <= high:
        raise ApiError(400, f"The query argument {name} must be between {low} and {high}.")
    return value


def repeat_arg(name: str) -> int:
    """A repeat number (default 1); 400 when malformed, 404 when it cannot name a repeat."""
    value = _integer(name)
    if value is None:
        return 1
    if not 1 <= value <= INT32_MAX:
        raise ApiError(404, "No such repeat of this event or form.")
    return value


def form_write(body, form: Form) -> Write:
    """Check the shape of ``{"version", "items", "reason"}``; 400 for a malformed body, 422 for non-scalar values."""
    if not isinstance(body, dict):
        raise ApiError(400, 'The body must be a JSON object {"version", "items", "reason"}.')
    if unknown := sorted(set(body) - WRITE_KEYS):
        raise ApiError(400, f"Unknown fields in the body: {', '.join(unknown)}.", unknown_fields=unknown)
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ApiError(400, "version must be an integer: the version you read (0 for a form never saved).")
    items = body.get("items")
    if not isinstance(items, dict):
        raise ApiError(400, "items must be a JSON object mapping item OIDs to values.")
    known = {item.oid for item in form.items}
    if unknown := sorted(oid for oid in items if oid not in known):
        raise ApiError(400, f"Unknown item OIDs for form {form.oid}: {', '.join(unknown)}.", unknown_items=unknown)
    errors = {oid: "Give one value: a string, number, boolean or null."
              for oid, value in items.items() if isinstance(value, (dict, list))}
    code, note = _reason(body.get("reason"))
    if note is not None and "\x00" in note:
        errors["reason"] = "The explanation contains a control character."
    if errors:
        raise ApiError(422, MESSAGES_422, errors=errors)
    return Write(version, items, code, note)


def _reason(reason) -> tuple[str | None, str | None]:
    """(code, note) from an absent reason, a string (a code, or a note for OTHER) or ``{"code", "note"}``."""
    if reason is None:
        return None, None
    if isinstance(reason, str):
        text = reason.strip()
        if not text:
            return None, None
        return (text, None) if text in REASONS.values else ("OTHER", text)
    if isinstance(reason, dict) and set(reason) <= {"code", "note"}:
        code, note = reason.get("code"), reason.get("note")
        if (code is None or isinstance(code, str)) and (note is None or isinstance(note, str)):
            return (code or None), note
    raise ApiError(400, 'reason must be a string or an object {"code", "note"} with string values.')
