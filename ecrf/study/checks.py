"""Edit checks declared with the study definition: what a check found, and how severe it is.

A *hard* check refuses the value (nothing is stored); a *soft* check lets it be stored and opens a system
query on the item, which closes itself when a later save satisfies the check.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True)
class Finding:
    """A soft check that does not hold for a form now: shown at ``item_oid``, raised as a system query there."""

    check_id: str
    item_oid: str
    message: str
