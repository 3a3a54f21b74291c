"""Jinja helpers: times shown in the site's zone with the zone named, and ``can`` (what to offer the user)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from ecrf.auth.permissions import can
from ecrf.study import clock, codec, words
from ecrf.study.reasons import REASONS


def local_time(value: datetime | None, tz: str | ZoneInfo = "UTC") -> str:
    """An aware UTC time as the site reads it, e.g. '2026-11-25 14:03 CST (UTC+08:00)'."""
    if value is None:
        return ""
    return codec.local_text(value, tz if isinstance(tz, ZoneInfo) else clock.zone(tz))


def dict_without(args, *keys) -> dict:
    """Query arguments minus ``keys`` (for pagination links)."""
    return {k: v for k, v in args.items() if k not in keys}


def register(app: Flask) -> None:
    app.add_template_filter(local_time, "localtime")
    app.add_template_filter(dict_without, "dict_without")
    app.add_template_filter(words.render, "words")
    app.add_template_filter(words.criterion_label, "criterion_label")
    app.jinja_env.globals["REASONS"] = REASONS
    app.jinja_env.globals["can"] = can
