"""The stored CAR-T dose record carries the target cells and the signed deviation, with the formula; the tolerance
check applies to every infusion: a whole product outside it is refused (as before), an incomplete infusion outside
it is stored only with its reason and opens a system query for the monitor."""
from __future__ import annotations

import pytest
from cell_therapy import infusion_values, ready_for_infusion
from helpers import enrolled_subject, save
from sqlalchemy import select

from ecrf.errors import Invalid, Refused


def _infusion(per_kg: str, complete: str = "true", **extra) -> dict:
    return infusion_values(per_kg, complete, **extra)


def _stored(session, subject) -> dict:
    from ecrf.capture.facts import event_values

    return event_values(session, subject.id, ["SE.D0"])["SE.D0"]


def _open_queries(session, check_id: str) -> list:
    from ecrf.queries.models import Query

    return session.scalars(select(Query).where(Query.check_id == check_id, Query.state == "open")).all()


def _missing(form) -> set[str]:
    from ecrf.study.definition import load

    return {i.oid for i in load().missing_required(load().form("F.INF"), form.values)}


@pytest.fixture
def subject(session, world):
    subject = enrolled_subject(session)
    assert subject.dose_level == 1  # 1.5 x10^5 cells/kg
    ready_for_infusion(session, subject)
    return subject


def test_the_dose_record_stores_target_and_signed_deviation_with_the_formula(session, subject):
    from ecrf.capture.models import ItemData

    save(session, subject, "F.INF", _infusion("1.8"), event_oid="SE.D0")  # exactly +20 %: within
    stored = _stored(session, subject)
    assert (stored["I.INF.TOTAL"], stored["I.INF.TARGET"], stored["I.INF.DEVPCT"]) == ("10.8", "9", "20")
    formulas = {r.item_oid: r.formula for r in session.scalars(
        select(ItemData).where(ItemData.item_oid.in_(("I.INF.TARGET", "I.INF.DEVPCT"))))}
    assert "dose level 1" in formulas["I.INF.TARGET"] and "weight" in formulas["I.INF.TARGET"]
    assert "(infused - target) / target" in formulas["I.INF.DEVPCT"] and "±20 %" in formulas["I.INF.DEVPCT"]
    assert not _open_queries(session, "INF.DOSE_DEVIATION")


def test_exactly_minus_20_percent_is_within(session, subject):
    save(session, subject, "F.INF", _infusion("1.2"), event_oid="SE.D0")
    assert _stored(session, subject)["I.INF.DEVPCT"] == "-20"


@pytest.mark.parametrize("per_kg", ["1.81", "1.19"])
def test_a_whole_product_outside_the_tolerance_is_still_refused(session, subject, per_kg):
    with pytest.raises(Refused) as refused:
        save(session, subject, "F.INF", _infusion(per_kg), event_oid="SE.D0")
    assert "more than 20% away" in str(refused.value) and "of the target 9 x10^6 cells" in str(refused.value)


def test_the_tolerance_follows_the_protocol_parameter(session, subject):
    from ecrf.study import protocol

    try:
        protocol.configure(infused_dose_tolerance=0.25)
        save(session, subject, "F.INF", _infusion("1.86"), event_oid="SE.D0")  # +24 %
    finally:
        protocol.configure()
    assert _stored(session, subject)["I.INF.DEVPCT"] == "24"


def test_an_incomplete_infusion_is_now_checked_and_needs_the_reason(session, subject):
    with pytest.raises(Invalid) as refused:
        save(session, subject, "F.INF", _infusion("1.0", complete="false"), event_oid="SE.D0")
    assert "outside the protocol's tolerance" in refused.value.errors["I.INF.DEVREASON"]
    session.rollback()
    form = save(session, subject, "F.INF", _infusion("1.0", complete="false", **{
        "I.INF.DEVREASON": "Line occlusion after two thirds of the bag; infusion stopped."}), event_oid="SE.D0")
    assert _stored(session, subject)["I.INF.DEVPCT"] == "-33.33"
    assert "I.INF.DEVREASON" not in _missing(form)
    [query] = _open_queries(session, "INF.DOSE_DEVIATION")
    assert query.item_oid == "I.INF.DEVPCT" and query.form_id == form.id


def test_an_incomplete_infusion_within_the_tolerance_needs_no_reason(session, subject):
    form = save(session, subject, "F.INF", _infusion("1.3", complete="false"), event_oid="SE.D0")
    assert _stored(session, subject)["I.INF.DEVPCT"] == "-13.33" and "I.INF.DEVREASON" not in _missing(form)
    assert not _open_queries(session, "INF.DOSE_DEVIATION")


def test_an_incomplete_infusion_without_its_reason_keeps_the_form_incomplete_in_the_definition():
    from ecrf.study.definition import load

    study = load()
    values = {**_infusion("1.0", complete="false"), "I.INF.TOTAL": "6", "I.INF.TARGET": "9", "I.INF.DEVPCT": "-33.33"}
    assert "I.INF.DEVREASON" in {i.oid for i in study.missing_required(study.form("F.INF"), values)}
