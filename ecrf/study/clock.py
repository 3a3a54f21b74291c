"""The time at a site: the one home of "now", a site's time zone and "today at the site".

Stored times are UTC; a site reads them in its IANA zone. "Today" is always the site's calendar day, never the
server's or UTC's (at 07:00 in Shanghai it is still yesterday in UTC).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo of a site's IANA zone name (UTC when none is set)."""
    return ZoneInfo(name or "UTC")


def today_at(tz: ZoneInfo, now: datetime | None = None) -> date:
    """The calendar date at the site at ``now`` (default: this moment)."""
    return (now or utcnow()).astimezone(tz).date()
