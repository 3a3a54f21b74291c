"""Texts the system stores as a code and parameters, never as a sentence in one language.

A :class:`Msg` is what a rule or a service says (``Msg("age_at_consent", age=30, on="2026-11-01")``);
``ecrf.study.words`` turns it into words at the faces, in the reader's language. Stored, a message is
compact JSON ``{"code": ..., <parameters>}``; parameters are JSON scalars, lists, or nested messages.
Numbers that are shown are kept as the exact text computed (a Decimal's str), so the words rendered from a
stored message years later are the words shown when it was stored.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

JOIN = "join"  # parts said one after another ("; " in English)
LEGACY = "legacy"  # an English text stored before codes existed, shown as it is


class Msg:
    """A message code with its parameters; immutable, comparable, JSON-able."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, /, **params):
        if "code" in params:
            raise ValueError("'code' is the message's own key, not a parameter")
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "params", {k: _plain(v) for k, v in params.items()})

    def __setattr__(self, name, value):
        raise AttributeError("Msg is immutable")

    def __eq__(self, other):
        return isinstance(other, Msg) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self):
        return hash((self.code, json.dumps(to_data(self), sort_keys=True)))

    def __repr__(self):
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Msg({self.code!r}{args})"


def _plain(value):
    """Parameters as JSON would give them back, so a message equals itself after a round trip."""
    if isinstance(value, Msg) or value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (Decimal, float)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [_plain(v) for v in value]
    raise TypeError(f"a message parameter cannot be {type(value).__name__}")


def join(*parts: Msg | None) -> Msg | None:
    """Several messages said in turn; nested joins are flattened and empty parts dropped."""
    flat: list[Msg] = []
    for part in parts:
        if part is None:
            continue
        flat.extend(part.params["parts"] if part.code == JOIN else [part])
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else Msg(JOIN, parts=flat)


def to_data(msg: Msg | None):
    """The JSON-ready form: ``{"code": ..., **params}`` with nested messages as dicts too."""
    if msg is None:
        return None
    return {"code": msg.code, **{k: _data(v) for k, v in msg.params.items()}}


def _data(value):
    if isinstance(value, Msg):
        return to_data(value)
    if isinstance(value, list):
        return [_data(v) for v in value]
    if isinstance(value, dict):
        return {k: _data(v) for k, v in value.items()}
    return value


def from_data(data) -> Msg | None:
    """A message from its JSON-ready form; None for anything that is not one (never raises)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("code"), str) or not data["code"]:
        return None
    return Msg(data["code"], **{k: _value(v) for k, v in data.items() if k != "code"})


def _value(value):
    if isinstance(value, Mapping) and isinstance(value.get("code"), str):
        return from_data(value)
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def encode(msg: Msg) -> str:
    """The stored text of a message: compact JSON, non-ASCII kept as typed (a Chinese note stays readable)."""
    return json.dumps(to_data(msg), ensure_ascii=False, separators=(",", ":"))


def decode(text: str | None) -> Msg | None:
    """The message stored in ``text``; None when it holds none (empty, or a plain legacy sentence)."""
    if not isinstance(text, str) or not text.startswith("{"):
        return None  # legacy reasons begin with a label ("Transcription error: ..."), never with "{"
    try:
        return from_data(json.loads(text))
    except (ValueError, RecursionError):
        return None
