"""Reading API input: size-limited JSON bodies parsed by their model, and integer query arguments."""
from __future__ import annotations

import json
from typing import TypeVar

from flask import current_app, request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from ecrf.api.errors import MESSAGE_422, ApiError
from ecrf.errors import NotFound
from ecrf.infra import args
from ecrf.study.literals import INT64_MAX, BadLiteral  # noqa: F401  (INT64_MAX: the views' bound)

M = TypeVar("M", bound=BaseModel)


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


def body(model: type[M]) -> M:
    """The request body parsed by ``model``: 400 when it is no JSON object, 422 with a message per field."""
    data = json_body()
    if not isinstance(data, dict):
        shape = "{" + ", ".join(f'"{f}"' for f in model.model_fields) + "}"
        raise ApiError(400, f"The body must be a JSON object {shape}.")
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise refusal(exc) from None


def refusal(exc: PydanticError) -> ApiError:
    """The 422 answer to a body its model refused: ``errors`` maps each field (or item OID) to a message."""
    errors: dict[str, str] = {}
    unknown: list[str] = []
    for e in exc.errors(include_url=False):
        key = next((str(p) for p in reversed(e["loc"]) if isinstance(p, str)), "body")
        if e["type"] == "extra_forbidden":
            unknown.append(key)
            errors[key] = "This field is not part of the body."
        elif e["type"] == "missing":
            errors.setdefault(key, f"{key} is required.")
        else:  # our field types' messages are final; pydantic's own (a nested type) get the field's name
            errors.setdefault(key, e["msg"] if e["type"] == "ecrf" else f"{key}: {e['msg']}.")
    messages = [m for k, m in errors.items() if k not in unknown]
    if unknown:
        messages.append(f"Unknown fields in the body: {', '.join(sorted(unknown))}.")
    message = messages[0] if len(messages) == 1 else MESSAGE_422
    if len(messages) == 1 and not unknown and next(iter(errors)) not in message:
        message = f"{next(iter(errors))}: {message}"  # an item's message does not name its item
    return ApiError(422, message, errors=errors, **({"unknown_fields": sorted(unknown)} if unknown else {}))


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """An integer query argument in [low, high] (400 otherwise), or ``default`` when absent."""
    try:
        return args.int_arg(request.args, name, default, low, high)
    except BadLiteral as exc:
        raise ApiError(400, f"The query argument {exc}") from None


def repeat_arg(name: str) -> int:
    """A repeat number (default 1); 400 when malformed, 404 when it cannot name a repeat."""
    try:
        return args.repeat_arg(request.args, name)
    except BadLiteral as exc:
        raise ApiError(400, f"The query argument {exc}") from None
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None


def bool_arg(name: str, default: bool) -> bool:
    """``true`` or ``false`` (400 for anything else), or ``default`` when absent."""
    value = request.args.get(name)
    if value is None:
        return default
    if value not in ("true", "false"):
        raise ApiError(400, f"The query argument {name} is true or false, not {value[:40]!r}.")
    return value == "true"
