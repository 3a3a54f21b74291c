"""The only writers of laboratories and normal ranges, and the one read of a site's ranges for the lab CRFs.

Every write flushes inside ``audit_reason``: the audit listener records who, when, the old and new values and the
reason for change in the same transaction (the caller commits). A range is checked before it is stored: an analyte
the lab CRFs flag, a unit declared for it (``ecrf.clinical.lab_units``), ordered limits, dates and ages, and no
overlap with another range of the same laboratory, analyte and sex band (two ranges in force for one subject on
one day would make the flag depend on which one the query happened to return).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from ecrf.audit.context import reason as audit_reason
from ecrf.auth.models import Site
from ecrf.clinical import lab_ranges, lab_units
from ecrf.errors import Invalid, Refused
from ecrf.labs.models import Laboratory, NormalRange
from ecrf.study.crfs.labs import ANALYTES
from ecrf.subjects.models import Subject

CODE = re.compile(r"^[A-Za-z0-9-]{1,20}$")
REASON_MAX = 500


@dataclass(frozen=True)
class RangeSpec:
    """What a data manager enters for a range (limits in ``unit``)."""

    analyte: str
    unit: str
    low: Decimal | None
    high: Decimal | None
    effective_from: date
    effective_to: date | None = None
    age_min: int | None = None
    age_max: int | None = None
    sex: str | None = None


def units(analyte: str) -> tuple[str, ...]:
    """The units a range (or a result) of the analyte may be given in: its CRF unit first."""
    item = ANALYTES[analyte]
    return lab_units.conversion(item.sdtm or "", item.units).units


def create_laboratory(session: Session, site: Site, code: str, name: str, *, why: str | None = None) -> Laboratory:
    code, name = (code or "").strip(), (name or "").strip()
    if not CODE.match(code):
        raise Invalid({"code": "A laboratory code is 1-20 letters, digits or dashes."})
    if session.scalar(select(Laboratory.id).where(Laboratory.site_id == site.id, Laboratory.code == code)):
        raise Invalid({"code": f"Site {site.code} already has a laboratory {code}."})
    lab = Laboratory(site=site, code=code, name=name[:200] or code)
    session.add(lab)
    with audit_reason(session, why or "laboratory recorded"):
        session.flush()
    return lab


def _problems(spec: RangeSpec) -> dict[str, str]:
    errors: dict[str, str] = {}
    if spec.analyte not in ANALYTES:
        return {"analyte": "Choose one of the results the laboratory forms carry."}
    if spec.unit not in units(spec.analyte):
        errors["unit"] = f"Choose one of the units declared for this analyte: {', '.join(units(spec.analyte))}."
    if spec.low is None and spec.high is None:
        errors["high"] = "Give a lower limit, an upper limit or both."
    elif spec.low is not None and spec.high is not None and spec.low > spec.high:
        errors["high"] = "The upper limit must not be below the lower limit."
    if any(x is not None and x < 0 for x in (spec.low, spec.high)):
        errors["low"] = "Limits cannot be negative."
    if spec.effective_to is not None and spec.effective_to < spec.effective_from:
        errors["effective_to"] = "The range must end on or after the day it comes into force."
    if any(a is not None and not 0 <= a <= 120 for a in (spec.age_min, spec.age_max)):
        errors["age_min"] = "Ages are 0-120 years."
    elif spec.age_min is not None and spec.age_max is not None and spec.age_max < spec.age_min:
        errors["age_max"] = "The upper age must not be below the lower age."
    if spec.sex not in (None, *lab_ranges.SEXES):
        errors["sex"] = "Sex band is M, F or any."
    return errors


def _text(x: Decimal | None) -> str | None:
    return None if x is None else format(x, "f")  # as entered: 0.70 stays 0.70


def _check(session: Session, lab: Laboratory, spec: RangeSpec, own_id: int | None) -> None:
    if errors := _problems(spec):
        raise Invalid(errors)
    candidate = lab_ranges.Range(lab.code, spec.analyte, spec.unit, spec.low, spec.high, spec.effective_from,
                                 spec.effective_to, spec.age_min, spec.age_max, spec.sex)
    others = session.scalars(select(NormalRange).where(NormalRange.laboratory_id == lab.id,
                                                       NormalRange.analyte == spec.analyte)).all()
    for other in others:
        if other.id != own_id and lab_ranges.overlaps(candidate, other.as_range(lab.code)):
            raise Invalid({"effective_from": f"It overlaps the range {other.as_range(lab.code).describe()}: end "
                                             "that one first (give it an end date) or change the bands."})


def _reason(why: str | None, required: bool) -> str | None:
    why = (why or "").strip()
    if required and not why:
        raise Invalid({"reason": "Give the reason for the change."})
    if len(why) > REASON_MAX or "\x00" in why:
        raise Invalid({"reason": f"The reason is at most {REASON_MAX} characters."})
    return why or None


def _apply(rng: NormalRange, spec: RangeSpec) -> None:
    rng.analyte, rng.unit, rng.low, rng.high = spec.analyte, spec.unit, _text(spec.low), _text(spec.high)
    rng.effective_from, rng.effective_to = spec.effective_from, spec.effective_to
    rng.age_min, rng.age_max, rng.sex = spec.age_min, spec.age_max, spec.sex


def add_range(session: Session, lab: Laboratory, spec: RangeSpec, *, why: str | None = None) -> NormalRange:
    """A new range of ``lab`` (audited with ``why``, or "range recorded")."""
    why = _reason(why, required=False)
    _check(session, lab, spec, None)
    rng = NormalRange(laboratory=lab)
    _apply(rng, spec)
    session.add(rng)
    with audit_reason(session, why or "range recorded"):
        session.flush()
    return rng


def change_range(session: Session, rng: NormalRange, spec: RangeSpec, *, why: str) -> NormalRange:
    """Correct or end a range; the reason is required and goes to the audit trail with the old and new values."""
    why = _reason(why, required=True)
    if rng.analyte != spec.analyte:
        raise Refused("A range's analyte cannot change: end it and record a range for the other analyte.")
    _check(session, rng.laboratory, spec, rng.id)
    _apply(rng, spec)
    with audit_reason(session, why):
        session.flush()
    return rng


def _in_item_unit(rng: lab_ranges.Range) -> lab_ranges.Range:
    """The range with its limits converted to the unit the CRF stores the result in (the declared factor)."""
    item = ANALYTES.get(rng.analyte)
    if item is None or rng.unit == item.units:
        return rng
    factor = lab_units.conversion(item.sdtm or "", item.units).factor(rng.unit)
    return lab_ranges.Range(rng.laboratory, rng.analyte, item.units or "",
                            None if rng.low is None else rng.low * factor,
                            None if rng.high is None else rng.high * factor,
                            rng.effective_from, rng.effective_to, rng.age_min, rng.age_max, rng.sex)


def _ranges(session: Session, site) -> lab_ranges.SiteRanges:
    labs = session.scalars(
        select(Laboratory).outerjoin(Laboratory.ranges).options(contains_eager(Laboratory.ranges))
        .where(Laboratory.site_id == site).order_by(Laboratory.code, NormalRange.id)).unique().all()
    return lab_ranges.SiteRanges(tuple(lab.code for lab in labs),
                                 tuple(_in_item_unit(r.as_range(lab.code)) for lab in labs for r in lab.ranges))


def site_ranges(session: Session, site_id: int) -> lab_ranges.SiteRanges:
    """The site's laboratories and all their ranges, limits in the CRF items' units, in one statement."""
    return _ranges(session, site_id)


def subject_ranges(session: Session, subject_id: int) -> lab_ranges.SiteRanges:
    """The ranges of the laboratories of the subject's site (for the lab CRFs' flags), in one statement."""
    return _ranges(session, select(Subject.site_id).where(Subject.id == subject_id).scalar_subquery())
