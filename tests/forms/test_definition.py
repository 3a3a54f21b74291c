"""The study definition loads, and its start-up checks name the offending OID."""
from __future__ import annotations

import pytest

from ecrf.study.definition import DefinitionError, Study, load
from ecrf.study.types import DataType, FormRef, Item, StudyEvent, codelist, form, group


def _study(*forms, events=None):
    events = events or (StudyEvent("SE.A", "A", tuple(FormRef(f.oid) for f in forms)),)
    return Study(tuple(events), tuple(forms))


def _form(oid="F.X", *items):
    return form(oid, "X", group(f"IG.{oid}", "g", *(items or (Item(f"I.{oid}.A", "a", DataType.TEXT),))))


def test_the_trial_definition_loads_and_passes_its_checks():
    study = load()
    assert len(study.events) > 40  # screening ... long-term follow-up year 15
    assert study.form("F.VS") is not None
    assert study.event("SE.D28").window_before == 3


def test_duplicate_oid_is_named():
    a = _form("F.A", Item("I.DUP", "a", DataType.TEXT))
    b = _form("F.B", Item("I.DUP", "b", DataType.TEXT))
    with pytest.raises(DefinitionError, match=r"duplicate OID I\.DUP"):
        _study(a, b).check()


def test_range_with_min_above_max_is_named():
    bad = _form("F.A", Item("I.A.X", "x", DataType.INTEGER, min=10, max=5))
    with pytest.raises(DefinitionError, match=r"I\.A\.X has min 10 > max 5"):
        _study(bad).check()


def test_form_in_no_event_is_named():
    used, orphan = _form("F.A"), _form("F.ORPHAN")
    events = (StudyEvent("SE.A", "A", (FormRef("F.A"),)),)
    with pytest.raises(DefinitionError, match=r"form F\.ORPHAN is in no study event"):
        _study(used, orphan, events=events).check()


def test_event_referring_to_undefined_form_is_named():
    events = (StudyEvent("SE.A", "A", (FormRef("F.MISSING"),)),)
    with pytest.raises(DefinitionError, match=r"SE\.A refers to undefined form F\.MISSING"):
        _study(events=events).check()


def test_code_list_item_without_code_list_is_refused():
    bad = _form("F.A", Item("I.A.C", "c", DataType.CODELIST))
    with pytest.raises(DefinitionError, match=r"I\.A\.C"):
        _study(bad).check()


def test_two_different_code_lists_with_one_oid_are_refused():
    one = codelist("CL.X", "x", ("1", "one"))
    two = codelist("CL.X", "x", ("1", "uno"))
    f = _form("F.A", Item("I.A.1", "a", DataType.CODELIST, codelist=one), Item("I.A.2", "b", DataType.CODELIST,
                                                                                 codelist=two))
    with pytest.raises(DefinitionError, match=r"CL\.X"):
        _study(f).check()


def test_app_start_fails_fast_on_a_broken_definition(monkeypatch, tmp_path):
    import ecrf.study.definition as study_module
    from ecrf.app import create_app

    broken = _study(_form("F.A", Item("I.A.X", "x", DataType.FLOAT, min=3, max=1)))
    monkeypatch.setattr(study_module, "_STUDY", None)
    monkeypatch.setattr(study_module, "Study", lambda events, forms, checks=(): broken)
    with pytest.raises(DefinitionError, match=r"I\.A\.X"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    monkeypatch.setattr(study_module, "_STUDY", None)
