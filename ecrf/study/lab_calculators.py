"""The lab CRFs' derived values read from the site laboratory's normal ranges: each result's flag, and the ULNs
the eligibility rule IN7 needs.

The ranges reach the calculators as facts (``facts[LAB_RANGES]``, a ``SiteRanges`` read by ``ecrf.labs.services``
with their limits already in the CRF item's unit), so these stay pure. The range used is the one in force on the
sample's site-local date for the subject's completed age on that date and sex (``ecrf.clinical.lab_ranges``), at
the laboratory the form names (or the site's only laboratory when the form names none).
"""
from __future__ import annotations

from decimal import Decimal

from ecrf.clinical import body, lab_ranges
from ecrf.study import codec
from ecrf.study.calculated import LAB_RANGES, Calculated
from ecrf.study.validation import Context

DOB, SEX = "I.DM.BRTHDAT", "I.DM.SEX"
FLAG_SUFFIX, ULN_SUFFIX = "NRIND", "ULN"
RANGE_VERSION = "local laboratory range in force on the sample date (ecrf.clinical.lab_ranges)"


def form_code(oid: str) -> str:
    """"CHEM" of "I.CHEM.ALTNRIND"."""
    return oid.split(".")[1]


def laboratory(values, site: lab_ranges.SiteRanges, code: str) -> tuple[str | None, str | None]:
    """(the laboratory's code, or None with the reason): the form's laboratory item, else the site's only one."""
    named = (values.get(f"I.{code}.LAB") or "").strip()
    if named:
        if named not in site.laboratories:
            known = ", ".join(site.laboratories) or "none recorded"
            return None, f"laboratory {named!r} is not one of the site's laboratories ({known})"
        return named, None
    if len(site.laboratories) == 1:
        return site.laboratories[0], None
    if not site.laboratories:
        return None, "the site has no laboratory recorded"
    return None, "the site has several laboratories: name the one that analysed the sample"


def range_for(values, facts, ctx: Context, result_oid: str) -> tuple[lab_ranges.Range | None, Calculated | None]:
    """The range in force for a result of this form, or the Calculated to return instead (missing inputs)."""
    code = form_code(result_oid)
    sample = f"I.{code}.DTC"
    on = codec.local_date(values.get(sample), ctx.tz) if values.get(sample) else None
    dob = codec.decode_date(facts.get(DOB))
    sex = facts.get(SEX) or None
    missing = tuple(oid for oid, x in ((sample, on), (DOB, dob), (SEX, sex)) if x is None)
    if missing:
        return None, Calculated(None, missing=missing)
    site = facts.get(LAB_RANGES) or lab_ranges.SiteRanges()
    lab, problem = laboratory(values, site, code)
    if lab is None:
        if site.laboratories:
            return None, Calculated(None, problem=problem)
        return None, Calculated(lab_ranges.NO_RANGE, f"no range: {problem}")
    age = body.age_years(dob, on)
    return lab_ranges.select(site.ranges, lab, result_oid, on, age, sex), None


def lab_flag(values, facts, ctx: Context, oid: str) -> Calculated:
    """L/N/H against the range in force; NR ("no range") when none is, so a flag is never silently blank."""
    result_oid = oid.removesuffix(FLAG_SUFFIX)
    raw = values.get(result_oid)
    if raw in (None, ""):
        return Calculated(None)  # no result, nothing to flag (the result's own completeness says it is missing)
    found, instead = range_for(values, facts, ctx, result_oid)
    if instead is not None:
        return instead
    if found is None:
        return Calculated(lab_ranges.NO_RANGE, "no range in force for this sample date, age and sex")
    return Calculated(lab_ranges.flag(Decimal(raw), found.low, found.high), f"{RANGE_VERSION}: {found.describe()}")


def lab_uln(values, facts, ctx: Context, oid: str) -> Calculated:
    """The upper limit of the range in force (IN7's ULN); with none in force, a value stored on the form before
    ranges were recorded stands, otherwise there is none and IN7 says the ULN is missing."""
    result_oid = oid.removesuffix(ULN_SUFFIX)
    found, instead = range_for(values, facts, ctx, result_oid)
    if found is not None and found.high is not None:
        return Calculated(format(found.high.normalize(), "f"), f"{RANGE_VERSION}: {found.describe()}")
    if values.get(oid):
        return Calculated(values[oid], "entered on the form (before the laboratory's range was recorded)")
    if instead is not None and instead.value is None:
        return instead
    return Calculated(None, problem="no range with an upper limit in force at the laboratory on the sample date "
                                    "for this age and sex: record it (Laboratories)")
