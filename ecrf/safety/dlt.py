"""Dose-limiting toxicities for the dose-level safety review: each dose level's DLT count and the DLTs themselves.

A DLT is an F.AE record ticked DLT (I.AE.DLT); the AE form refuses the tick when the onset lies outside the DLT
window (check AE.DLT_IN_WINDOW, over the calculated I.AE.DLTWIN). The counts are the trial's (the review decides
for every site); the list of DLTs names only subjects of the reader's sites. One statement whatever the number of
subjects or DLTs.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.study import masking
from ecrf.study.definition import load as load_study
from ecrf.subjects.models import Subject

ITEMS = ("I.AE.TERM", "I.AE.STDAT", "I.AE.TOXGR", "I.AE.DLTWIN", "I.AE.SER")


@dataclass(frozen=True)
class Dlt:
    subject_key: str
    subject: str
    site_id: int
    dose_level: int
    ae_repeat: int
    term: str | None
    onset: str | None
    grade: str | None
    in_window: bool | None
    serious: bool


@dataclass(frozen=True)
class LevelCount:
    dose_level: int
    dlts: int
    subjects: int  # subjects with at least one DLT


@dataclass(frozen=True)
class Review:
    counts: dict[int, LevelCount]
    dlts: list[Dlt]  # the reader's sites only


def review(session: Session, site_ids, role: str | None) -> Review:
    ticked = select(ItemData.form_id).where(ItemData.item_oid == "I.AE.DLT", ItemData.value == "true")
    rows = session.execute(
        select(Subject.key, Subject.subject_no, Subject.site_id, Subject.dose_level, FormData.repeat_key,
               ItemData.item_oid, ItemData.value)
        .join(ItemData.form).join(FormData.event).join(StudyEventData.subject)
        .where(Subject.dose_level.is_not(None), FormData.form_oid == "F.AE", FormData.id.in_(ticked),
               ItemData.item_oid.in_(ITEMS))
        .order_by(Subject.dose_level, Subject.key, FormData.repeat_key))
    found: dict[tuple[str, int], dict] = {}
    for key, number, site_id, level, repeat, oid, value in rows:
        entry = found.setdefault((key, repeat), {"who": (key, number or key, site_id, level)})
        entry[oid] = value
    term = load_study().items["I.AE.TERM"]
    every = [Dlt(key, code, site_id, level, repeat, masking.masked(term, v.get("I.AE.TERM"), role),
                 v.get("I.AE.STDAT"), v.get("I.AE.TOXGR"),
                 {"true": True, "false": False}.get(v.get("I.AE.DLTWIN") or ""), v.get("I.AE.SER") == "Y")
             for (_, repeat), v in found.items() for key, code, site_id, level in [v["who"]]]
    counts = {}
    for level in sorted({d.dose_level for d in every}):
        mine = [d for d in every if d.dose_level == level]
        counts[level] = LevelCount(level, len(mine), len({d.subject_key for d in mine}))
    visible = set(site_ids)
    return Review(counts, [d for d in every if d.site_id in visible])
