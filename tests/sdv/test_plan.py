"""The SDV plan as a pure function: which items of a form the site's plan requires for its n-th subject."""
from __future__ import annotations

import pytest

from ecrf.sdv.plan import Plan, default, required_items
from ecrf.study.definition import load as load_study


def _form(oid):
    return load_study().form(oid)


def test_the_first_n_subjects_are_verified_in_full_then_critical_items_only():
    plan, ld = Plan(3, "critical"), _form("F.LD")
    everything = {i.oid for i in ld.items}
    assert required_items(plan, 1, ld) == everything
    assert required_items(plan, 3, ld) == everything  # the third is still in full
    assert required_items(plan, 4, ld) == {"I.LD.HEIGHT", "I.LD.WEIGHT", "I.LD.BSA"}  # the fourth: critical only
    assert required_items(plan, 4, _form("F.VS")) == set()  # no critical item on vital signs


def test_then_all_and_then_none():
    vs = _form("F.VS")
    assert required_items(Plan(0, "all"), 1, vs) == {i.oid for i in vs.items}
    assert required_items(Plan(1, "none"), 2, vs) == set()
    assert required_items(Plan(1, "none"), 1, vs) == {i.oid for i in vs.items}
    assert required_items(Plan(0, "critical"), 1, _form("F.IC")) >= {"I.IC.DTC", "I.IC.VERSION"}


def test_the_protocol_default_is_three_subjects_then_critical():
    assert default() == Plan(3, "critical")


@pytest.mark.parametrize("n, then", [(-1, "critical"), (1001, "all"), (3, "some")])
def test_a_plan_refuses_what_it_cannot_mean(n, then):
    with pytest.raises(ValueError):
        Plan(n, then)


def test_critical_items_are_declared_on_the_forms_that_need_them():
    items = load_study().items
    for oid in ("I.IC.DTC", "I.ELIG.ELIGIBLE", "I.LD.BSA", "I.LDDOSE.FLUMG", "I.INF.DOSEKG", "I.AE.SER",
                "I.SLEDAI.TOTAL", "I.PGA.SCORE", "I.CRS.GRADE"):
        assert items[oid].critical, oid
    assert not items["I.VS.HR"].critical


def test_marking_an_unknown_item_critical_is_a_definition_error():
    from ecrf.study.types import critical

    with pytest.raises(ValueError, match="I.LD.NOPE"):
        critical(_form("F.LD"), "I.LD.NOPE")
