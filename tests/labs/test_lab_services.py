"""Laboratories and ranges: checked before they are stored, audited with the reason in the same transaction, and
read (one statement) with their limits converted to the CRF unit through the declared factor."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from helpers import statements
from sqlalchemy import select

from ecrf.auth.models import Site
from ecrf.errors import Invalid
from ecrf.labs import services
from ecrf.labs.demo_ranges import seed_demo_ranges
from ecrf.labs.services import RangeSpec

FROM = date(2025, 1, 1)


def _site(session, code="01"):
    return session.scalar(select(Site).where(Site.code == code))


def _audit(session, entity):
    from ecrf.audit.models import AuditEvent

    return session.scalars(select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.seq)).all()


def test_a_range_change_is_audited_with_old_new_and_reason(session, world):
    lab = services.create_laboratory(session, _site(session), "LAB1", "Hospital lab")
    rng = services.add_range(session, lab, RangeSpec("I.CHEM.ALT", "U/L", None, D("50"), FROM, sex="M"))
    session.commit()
    services.change_range(session, rng, RangeSpec("I.CHEM.ALT", "U/L", None, D("45"), FROM, sex="M"),
                          why="laboratory changed its method")
    session.commit()
    rows = [r for r in _audit(session, "normal_range") if r.action == "update"]
    assert [(r.old_value, r.new_value, r.reason) for r in rows] == [
        ('{"high": "50"}', '{"high": "45"}', "laboratory changed its method")] or any(
        "50" in (r.old_value or "") and "45" in (r.new_value or "") and r.reason == "laboratory changed its method"
        for r in rows)
    assert rows and all(r.site_code == "01" and r.username == "test" for r in rows)
    assert _audit(session, "laboratory")[0].action == "create"


def test_a_change_needs_a_reason(session, world):
    lab = services.create_laboratory(session, _site(session), "LAB1", "Hospital lab")
    rng = services.add_range(session, lab, RangeSpec("I.CHEM.ALT", "U/L", None, D("50"), FROM))
    with pytest.raises(Invalid) as exc:
        services.change_range(session, rng, RangeSpec("I.CHEM.ALT", "U/L", None, D("45"), FROM), why="  ")
    assert "reason" in exc.value.errors


@pytest.mark.parametrize(("spec", "field"), [
    (RangeSpec("I.CHEM.NOPE", "U/L", None, D("1"), FROM), "analyte"),
    (RangeSpec("I.CHEM.ALT", "mmol/L", None, D("1"), FROM), "unit"),
    (RangeSpec("I.CHEM.ALT", "U/L", None, None, FROM), "high"),
    (RangeSpec("I.CHEM.ALT", "U/L", D("9"), D("8"), FROM), "high"),
    (RangeSpec("I.CHEM.ALT", "U/L", None, D("8"), FROM, date(2024, 12, 31)), "effective_to"),
    (RangeSpec("I.CHEM.ALT", "U/L", None, D("8"), FROM, age_min=18, age_max=5), "age_max"),
    (RangeSpec("I.CHEM.ALT", "U/L", None, D("8"), FROM, sex="X"), "sex"),
])
def test_impossible_ranges_are_refused_at_their_field(session, world, spec, field):
    lab = services.create_laboratory(session, _site(session), "LAB1", "Hospital lab")
    with pytest.raises(Invalid) as exc:
        services.add_range(session, lab, spec)
    assert field in exc.value.errors


def test_overlapping_ranges_are_refused_until_the_first_is_ended(session, world):
    lab = services.create_laboratory(session, _site(session), "LAB1", "Hospital lab")
    old = services.add_range(session, lab, RangeSpec("I.CHEM.ALT", "U/L", None, D("50"), FROM))
    new = RangeSpec("I.CHEM.ALT", "U/L", None, D("45"), date(2026, 1, 1))
    with pytest.raises(Invalid, match="overlaps"):
        services.add_range(session, lab, new)
    services.change_range(session, old, RangeSpec("I.CHEM.ALT", "U/L", None, D("50"), FROM, date(2025, 12, 31)),
                          why="new method from 2026")
    services.add_range(session, lab, new)  # now it follows the old one
    session.commit()


def test_the_site_ranges_in_one_statement_with_limits_in_the_crf_unit(session, world):
    lab = seed_demo_ranges(session, _site(session))
    session.commit()
    assert seed_demo_ranges(session, _site(session)).id == lab.id  # once
    with statements(session) as seen:
        site = services.site_ranges(session, lab.site_id)
    assert len(seen) == 1
    assert site.laboratories == ("LAB1",)
    bili = next(r for r in site.ranges if r.analyte == "I.CHEM.BILI" and r.age_min == 18)
    assert (bili.unit, bili.low, bili.high) == ("µmol/L", D("3.42"), D("20.52"))  # 0.2-1.2 mg/dL x 17.1
    hgb_child = next(r for r in site.ranges if r.analyte == "I.HEM.HGB" and r.age_min == 5)
    assert (hgb_child.unit, hgb_child.low, hgb_child.high) == ("g/L", D("115.0"), D("155.0"))
    assert services.site_ranges(session, _site(session, "02").id).laboratories == ()
