"""The clinical SLEDAI stored next to the SLEDAI-2K total, and the BILAG-2004 form: defined, scheduled, stored."""
from __future__ import annotations

import pytest
from helpers import new_subject, save, sledai_values
from sqlalchemy import select

from ecrf.capture.models import ItemData
from ecrf.clinical import sledai
from ecrf.clinical.outcomes import BILAG_DOMAINS, BILAG_GRADES
from ecrf.errors import Invalid
from ecrf.study.definition import load as load_study


def _formula(session, form, oid):
    return session.scalar(select(ItemData.formula).where(ItemData.form_id == form.id, ItemData.item_oid == oid))


def test_clinical_sledai_is_stored_without_serology_with_its_formula(session, world):
    subject = new_subject(session)
    form = save(session, subject, "F.SLEDAI", sledai_values("arthritis", "low_complement", "increased_dna_binding"))
    assert form.values["I.SLEDAI.TOTAL"] == "8" and form.values["I.SLEDAI.CTOTAL"] == "4"
    assert _formula(session, form, "I.SLEDAI.CTOTAL") == sledai.CLINICAL_SLEDAI_VERSION
    assert _formula(session, form, "I.SLEDAI.TOTAL") == sledai.FORMULA_VERSION


def test_clinical_sledai_ignores_a_serology_item_not_done_but_waits_for_every_clinical_one(session, world):
    subject = new_subject(session)
    values = sledai_values("rash", **{"I.SLEDAI.LOW_COMPLEMENT": ""})
    form = save(session, subject, "F.SLEDAI", values,
                missing={"I.SLEDAI.LOW_COMPLEMENT": {"code": "NOT_DONE", "reason": "no C3/C4 in the look-back"}})
    assert form.values.get("I.SLEDAI.TOTAL") is None and form.values["I.SLEDAI.CTOTAL"] == "2"
    unanswered = {k: v for k, v in sledai_values("rash").items() if k != "I.SLEDAI.ARTHRITIS"}
    other = new_subject(session)
    form = save(session, other, "F.SLEDAI", unanswered)
    assert form.values.get("I.SLEDAI.CTOTAL") is None and form.values.get("I.SLEDAI.TOTAL") is None


def test_a_client_cannot_store_its_own_clinical_sledai(session, world):
    subject = new_subject(session)
    form = save(session, subject, "F.SLEDAI", {**sledai_values("arthritis"), "I.SLEDAI.CTOTAL": "0"})
    assert form.values["I.SLEDAI.CTOTAL"] == "4"


def test_bilag_form_definition():
    study = load_study()
    form = study.form("F.BILAG")
    grades = [i for i in form.items if i.codelist is not None]
    assert [i.oid for i in grades] == [f"I.BILAG.{d.upper()}" for d in BILAG_DOMAINS]
    assert all(i.required and i.codelist.values == BILAG_GRADES for i in grades)
    assert all(len(i.help) > 20 for i in form.items)
    assert study.items["I.BILAG.DAT"].required


def test_bilag_is_scheduled_wherever_sledai_is():
    study = load_study()
    with_sledai = [e.oid for e in study.events if study.event_has_form(e.oid, "F.SLEDAI")]
    assert {"SE.SCREENING", "SE.D28", "SE.M2", "SE.M12", "SE.M24"} <= set(with_sledai)
    assert [e.oid for e in study.events if study.event_has_form(e.oid, "F.BILAG")] == with_sledai
    # the prednisone dose DORIS and LLDAS read is recorded at the baseline and day 28 too
    assert all(study.event_has_form(oid, "F.GCIS") for oid in with_sledai)


def _bilag(**over):
    values = {"I.BILAG.DAT": "2026-11-02", "I.BILAG.HAEMOLYSIS": "false",
              **{f"I.BILAG.{d.upper()}": "E" for d in BILAG_DOMAINS}}
    values.update(over)
    return values


def test_bilag_is_stored_and_read(session, world):
    from ecrf.capture.facts import form_entries

    subject = new_subject(session)
    form = save(session, subject, "F.BILAG", _bilag(**{"I.BILAG.RENAL": "A", "I.BILAG.MUCOCUTANEOUS": "C"}))
    assert form.status == "complete"
    stored = form_entries(session, subject.id, "F.BILAG", "SE.SCREENING")[0]
    assert stored["I.BILAG.RENAL"] == "A" and stored["I.BILAG.MUCOCUTANEOUS"] == "C"
    assert stored["I.BILAG.CONSTITUTIONAL"] == "E"
    partial = {k: v for k, v in _bilag().items() if k != "I.BILAG.OPHTHALMIC"}
    assert save(session, subject, "F.BILAG", partial, reason_code="TRANSCRIPTION").status == "incomplete"


def test_bilag_refuses_a_grade_outside_a_to_e(session, world):
    subject = new_subject(session)
    with pytest.raises(Invalid) as refused:
        save(session, subject, "F.BILAG", _bilag(**{"I.BILAG.RENAL": "F"}))
    assert "I.BILAG.RENAL" in refused.value.errors
