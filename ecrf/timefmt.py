"""How times are shown: in the site's zone, with the zone named unambiguously ("CST" alone could be Chicago)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local(value: datetime, tz: ZoneInfo) -> str:
    """e.g. '2026-11-25 14:03 CST (UTC+08:00)'."""
    moment = value.astimezone(tz)
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()} (UTC{offset[:3]}:{offset[3:]})"
