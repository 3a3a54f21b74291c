"""Where a form lives: subject, event (with repeat), form (with repeat); and its key string.

The key names a form, or an item on it, in the audit trail and in URLs of exports, e.g.
``01-S001/SE.SCREENING[1]/F.VS[1]/I.VS.SPO2``. It is built here only, so an audit query for "this form"
and the records written for it always agree.
"""
from __future__ import annotations

from dataclasses import dataclass


def event_key(subject_key: str, event_oid: str, event_repeat: int = 1) -> str:
    return f"{subject_key}/{event_oid}[{event_repeat}]"


@dataclass(frozen=True)
class FormLocator:
    subject_key: str
    event_oid: str
    form_oid: str
    event_repeat: int = 1
    form_repeat: int = 1

    @property
    def key(self) -> str:
        """``01-S001/SE.SCREENING[1]/F.VS[1]``"""
        return f"{event_key(self.subject_key, self.event_oid, self.event_repeat)}/{self.form_oid}[{self.form_repeat}]"

    def item_key(self, item_oid: str) -> str:
        """``01-S001/SE.SCREENING[1]/F.VS[1]/I.VS.SPO2``"""
        return f"{self.key}/{item_oid}"
