"""Each lab result is flagged, when the form is saved, against the range in force on the sample date for the
subject's age and sex then, at the laboratory the form names; "no range" is stored, never a blank; a flagged
result needs the site's CS/NCS (a soft check: stored, a query opens); IN7's ULNs come from the range."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from helpers import ctx, demographics, new_subject, save
from sqlalchemy import select

from ecrf.auth.models import Site
from ecrf.capture import derived
from ecrf.labs import services
from ecrf.labs.services import RangeSpec
from ecrf.queries.models import Query
from ecrf.study.definition import load

CHEM = {"I.CHEM.DTC": "2026-11-02T08:00", "I.CHEM.ALT": "20", "I.CHEM.AST": "20", "I.CHEM.BILI": "8",
        "I.CHEM.CLSIG": "false", "I.CHEM.CREATORRES": "70", "I.CHEM.CREATU": "umol/L"}


def _lab(session, code="LAB1"):
    lab = services.create_laboratory(session, session.scalar(select(Site).where(Site.code == "01")), code, code)
    add = lambda oid, unit, lo, hi, **kw: services.add_range(  # noqa: E731
        session, lab, RangeSpec(oid, unit, None if lo is None else D(lo), D(hi), date(2025, 1, 1), **kw))
    add("I.CHEM.ALT", "U/L", None, "50", age_min=18, sex="M")
    add("I.CHEM.ALT", "U/L", None, "35", age_min=18, sex="F")
    add("I.CHEM.ALT", "U/L", None, "30", age_min=5, age_max=17)
    add("I.CHEM.AST", "U/L", None, "40", age_min=18)
    add("I.CHEM.BILI", "mg/dL", "0.2", "1.2", age_min=18)  # limits in mg/dL: 3.42-20.52 µmol/L
    session.commit()
    return lab


def test_flags_at_the_limits_and_no_range_shown(session, world):
    _lab(session)
    subject = new_subject(session)
    demographics(session, subject, "M", "1990-05-05")
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "50", "I.CHEM.BILI": "3.4"})
    v = form.values
    assert (v["I.CHEM.ALTNRIND"], v["I.CHEM.BILINRIND"], v["I.CHEM.ASTNRIND"]) == ("N", "L", "N")
    assert v["I.CHEM.CREATNRIND"] == "NR"  # no creatinine range at this laboratory: shown, not blank
    assert v["I.CHEM.ALTULN"] == "50" and v["I.CHEM.ASTULN"] == "40" and v["I.CHEM.BILIULN"] == "20.52"
    assert v.get("I.UREANRIND") is None and v.get("I.CHEM.UREANRIND") is None  # no result, nothing to flag
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "50.1", "I.CHEM.BILI": "20.5"})
    assert (form.values["I.CHEM.ALTNRIND"], form.values["I.CHEM.BILINRIND"]) == ("H", "N")
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "0", "I.CHEM.BILI": "20.6"})
    assert (form.values["I.CHEM.ALTNRIND"], form.values["I.CHEM.BILINRIND"]) == ("N", "H")


def test_sex_and_the_18th_birthday_on_the_sample_date(session, world):
    _lab(session)
    woman, boy = new_subject(session), new_subject(session)
    demographics(session, woman, "F", "1990-05-05")
    demographics(session, boy, "M", "2008-11-02")  # 18 on the sample day
    assert save(session, woman, "F.CHEM", {**CHEM, "I.CHEM.ALT": "40"}).values["I.CHEM.ALTNRIND"] == "H"
    assert save(session, boy, "F.CHEM", {**CHEM, "I.CHEM.ALT": "40"}).values["I.CHEM.ALTNRIND"] == "N"
    eve = save(session, boy, "F.CHEM", {**CHEM, "I.CHEM.DTC": "2026-11-01T08:00", "I.CHEM.ALT": "40"},
               reason_code="TRANSCRIPTION", reason_note="sample drawn the day before")
    assert eve.values["I.CHEM.ALTNRIND"] == "H" and eve.values["I.CHEM.ALTULN"] == "30"  # still 17: child band


def test_a_flagged_result_asks_for_its_clinical_significance(session, world):
    _lab(session)
    subject = new_subject(session)
    demographics(session, subject, "M", "1990-05-05")
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "90"})
    assert form.values["I.CHEM.ALTNRIND"] == "H" and form.status != "complete"
    opened = session.scalars(select(Query).where(Query.form_id == form.id, Query.item_oid == "I.CHEM.ALTCS")).all()
    assert [q.state for q in opened] == ["open"]
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "90", "I.CHEM.ALTCS": "NCS"},
                reason_code="QUERY", reason_note="reviewed")
    assert form.values["I.CHEM.ALTCS"] == "NCS"
    session.refresh(opened[0])
    assert opened[0].state != "open"


def test_the_form_names_its_laboratory_when_the_site_has_several(session, world):
    _lab(session, "LAB1")
    services.create_laboratory(session, session.scalar(select(Site).where(Site.code == "01")), "LAB2", "Other")
    session.commit()
    subject = new_subject(session)
    demographics(session, subject, "M", "1990-05-05")
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "90"})
    assert form.values.get("I.CHEM.ALTNRIND") is None  # which laboratory? cannot say: the form says why
    why = derived.why_not_calculated(session, subject.id, load().form("F.CHEM"), form.values, ctx(), form.id)
    assert "several laboratories" in str(why["I.CHEM.ALTNRIND"].params)
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "90", "I.CHEM.LAB": "LAB2"},
                reason_code="TRANSCRIPTION")
    assert form.values["I.CHEM.ALTNRIND"] == "NR"  # LAB2 has no ranges
    form = save(session, subject, "F.CHEM", {**CHEM, "I.CHEM.ALT": "90", "I.CHEM.LAB": "LAB1"},
                reason_code="TRANSCRIPTION")
    assert form.values["I.CHEM.ALTNRIND"] == "H"


def test_without_any_laboratory_every_result_says_no_range(session, world):
    subject = new_subject(session)
    demographics(session, subject, "M", "1990-05-05")
    form = save(session, subject, "F.HEM", {"I.HEM.DTC": "2026-11-02T07:30", "I.HEM.WBC": "3.1", "I.HEM.NEUT": "1",
                                            "I.HEM.LYM": "0.6", "I.HEM.HGB": "112", "I.HEM.PLAT": "90",
                                            "I.HEM.CLSIG": "false"})
    assert {form.values[f"I.HEM.{t}NRIND"] for t in ("WBC", "NEUT", "LYM", "HGB", "PLAT")} == {"NR"}
