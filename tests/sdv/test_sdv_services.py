"""Verifying items against source, the reset on change (only that item, attributed, audited), locks, bad input,
and progress in a constant number of statements."""
from __future__ import annotations

import pytest
from helpers import demographics, enrolled_subject, new_subject, save, vs_values
from sqlalchemy import event, select

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.models import AuditEvent
from ecrf.auth.models import User
from ecrf.capture import services as capture
from ecrf.errors import Forbidden, Invalid, Locked
from ecrf.sdv import progress
from ecrf.sdv import services as sdv
from ecrf.study.clock import utcnow


def _user(session, name):
    return session.scalar(select(User).where(User.username == name))


def _form(session, subject, form_oid="F.VS", event_oid="SE.SCREENING"):
    t = capture.resolve(subject, event_oid, form_oid)
    return t, capture.find_form(session, t)


def _as(session, user):
    set_actor(session, Actor.of(user))


def _states(session, form):
    return {oid: s.state for oid, s in sdv.form_states(session, form).items()}


@pytest.fixture
def vs(session, world):
    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    t, form = _form(session, subject)
    return subject, t, form


def test_a_monitor_verifies_items_at_their_value(session, vs):
    subject, t, form = vs
    monitor = _user(session, "monitor")
    _as(session, monitor)
    sdv.verify_items(session, form, subject, t.form, ["I.VS.SYSBP", "I.VS.DIABP"], monitor)
    session.commit()
    states = sdv.form_states(session, form)
    assert {oid: s.state for oid, s in states.items()} == {"I.VS.SYSBP": "verified", "I.VS.DIABP": "verified"}
    assert states["I.VS.SYSBP"].verified_value == "118" and states["I.VS.SYSBP"].verified_by == "monitor"
    trail = session.scalars(select(AuditEvent).where(AuditEvent.entity == "item_verification")).all()
    assert {r.item_oid for r in trail} == {"I.VS.SYSBP", "I.VS.DIABP"} and {r.username for r in trail} == {"monitor"}


@pytest.mark.parametrize("role", ["investigator", "coordinator", "data_manager", "sponsor", "admin"])
def test_only_monitors_verify(session, vs, role):
    subject, t, form = vs
    with pytest.raises(Forbidden):
        sdv.verify_items(session, form, subject, t.form, ["I.VS.SYSBP"], _user(session, role))
    with pytest.raises(Forbidden):
        sdv.verify_form(session, form, subject, t.form, _user(session, role))
    assert _states(session, form) == {}


def test_a_monitor_of_another_site_may_not_verify(session, world):
    from helpers import PASSWORD

    from ecrf.auth.services import create_user

    subject = new_subject(session, "02")
    save(session, subject, "F.VS", vs_values())
    t, form = _form(session, subject)
    with pytest.raises(Forbidden):
        sdv.verify_form(session, form, subject, t.form, _user(session, "monitor"))
    other = create_user(session, "monitor2", "Monitor Two", "monitor", ["02"], PASSWORD)
    sdv.verify_form(session, form, subject, t.form, other)
    assert set(_states(session, form)) == set(vs_values())


def test_a_change_resets_only_that_item_attributed_to_who_changed_it(session, vs):
    subject, t, form = vs
    monitor, coordinator = _user(session, "monitor"), _user(session, "coordinator")
    _as(session, monitor)
    sdv.verify_form(session, form, subject, t.form, monitor)
    session.commit()
    _as(session, coordinator)
    capture.save_form(session, t, vs_values(**{"I.VS.SYSBP": "121"}), version=form.version, user_id=coordinator.id,
                      ctx=_ctx(), reason_code="TRANSCRIPTION")
    session.commit()
    states = sdv.form_states(session, form)
    assert states["I.VS.SYSBP"].state == "changed"
    assert states["I.VS.SYSBP"].changed_by == "coordinator" and states["I.VS.SYSBP"].verified_value == "118"
    assert {oid for oid, s in states.items() if s.state == "verified"} == set(vs_values()) - {"I.VS.SYSBP"}
    reset = session.scalars(select(AuditEvent).where(AuditEvent.entity == "item_verification",
                                                     AuditEvent.action == "update")).all()
    assert [(r.item_oid, r.username) for r in reset] == [("I.VS.SYSBP", "coordinator")]
    assert '"changed"' in reset[0].new_value
    # verified again at the new value
    _as(session, monitor)
    sdv.verify_items(session, form, subject, t.form, ["I.VS.SYSBP"], monitor)
    session.commit()
    again = sdv.form_states(session, form)["I.VS.SYSBP"]
    assert (again.state, again.verified_value, again.changed_by) == ("verified", "121", None)


def test_a_recomputed_calculated_value_resets_its_verification(session, world):
    subject = enrolled_subject(session)
    monitor, coordinator = _user(session, "monitor"), _user(session, "coordinator")
    values = {"I.LD.DAT": utcnow().date().isoformat(), "I.LD.HEIGHT": "170", "I.LD.WEIGHT": "70"}
    save(session, subject, "F.LD", values, event_oid="SE.LD1")
    t, form = _form(session, subject, "F.LD", "SE.LD1")
    assert form.values["I.LD.BSA"]
    sdv.verify_form(session, form, subject, t.form, monitor)
    session.commit()
    _as(session, coordinator)
    capture.save_form(session, t, {**values, "I.LD.WEIGHT": "80"}, version=form.version, user_id=coordinator.id,
                      ctx=_ctx(), reason_code="TRANSCRIPTION")
    session.commit()
    assert _states(session, form) == {"I.LD.DAT": "verified", "I.LD.HEIGHT": "verified", "I.LD.WEIGHT": "changed",
                                      "I.LD.BSA": "changed"}


def test_a_value_recomputed_on_another_form_resets_its_verification(session, world):
    subject = new_subject(session)
    demographics(session, subject, "F", "1990-05-05")
    save(session, subject, "F.CHEM", {"I.CHEM.CREATORRES": "60", "I.CHEM.CREATU": "umol/L", "I.CHEM.DTC": "2026-11-02"})
    t, chem = _form(session, subject, "F.CHEM")
    assert chem.values["I.CHEM.EGFR"]
    monitor = _user(session, "monitor")
    sdv.verify_form(session, chem, subject, t.form, monitor)
    session.commit()
    save(session, subject, "F.DM", {"I.DM.BRTHDAT": "1960-05-05", "I.DM.SEX": "F"}, event_oid="SE.SUBJECT",
         reason_code="TRANSCRIPTION")  # eGFR is recomputed
    states = _states(session, chem)
    assert states["I.CHEM.EGFR"] == "changed" and states["I.CHEM.CREATORRES"] == "verified"


def test_verifying_a_locked_form_is_refused_and_changes_nothing(session, vs):
    subject, t, form = vs
    from ecrf.capture import locks

    locks.close(session, _user(session, "data_manager"), scope="form", level="locked", reason="database lock",
                subject=subject, event_oid=t.event.oid, form_oid=t.form.oid)
    session.commit()
    with pytest.raises(Locked):
        sdv.verify_form(session, form, subject, t.form, _user(session, "monitor"))
    session.rollback()
    assert _states(session, form) == {}


def test_a_frozen_form_may_be_verified(session, vs, monkeypatch):
    from ecrf.capture.locks import LockState

    subject, t, form = vs
    monkeypatch.setattr(sdv, "form_state", lambda s, f: LockState.FROZEN)
    sdv.verify_items(session, form, subject, t.form, ["I.VS.HR"], _user(session, "monitor"))
    assert _states(session, form) == {"I.VS.HR": "verified"}


@pytest.mark.parametrize("oids, field", [
    (["I.VS.NOPE"], "I.VS.NOPE"), ([], "items"), (["I.VS.SYSBP", "I.IC.DTC"], "I.IC.DTC"),
])
def test_bad_items_are_refused_and_nothing_changes(session, vs, oids, field):
    subject, t, form = vs
    with pytest.raises(Invalid) as refused:
        sdv.verify_items(session, form, subject, t.form, oids, _user(session, "monitor"))
    assert field in refused.value.errors
    session.rollback()
    assert _states(session, form) == {}


def test_an_item_without_a_value_or_a_form_never_saved_has_nothing_to_verify(session, world):
    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values(**{"I.VS.SPO2": ""}))
    t, form = _form(session, subject)
    monitor = _user(session, "monitor")
    with pytest.raises(Invalid) as refused:
        sdv.verify_items(session, form, subject, t.form, ["I.VS.HR", "I.VS.SPO2"], monitor)
    assert set(refused.value.errors) == {"I.VS.SPO2"}
    session.rollback()
    assert _states(session, form) == {}
    chem_t, chem = _form(session, subject, "F.CHEM")
    with pytest.raises(Invalid):
        sdv.verify_form(session, chem, subject, chem_t.form, monitor)
    assert "I.VS.SPO2" not in {oid for oid in sdv.verify_form(session, form, subject, t.form, monitor)}


def test_a_plan_is_set_per_site_by_data_managers_and_monitors(session, world):
    from ecrf.auth.models import Site
    from ecrf.sdv.plan import Plan

    site = session.scalar(select(Site).where(Site.code == "01"))
    assert sdv.plan_for(session, site.id) == Plan(3, "critical")
    for role in ("investigator", "coordinator", "sponsor", "admin"):
        with pytest.raises(Forbidden):
            sdv.set_plan(session, site, 1, "all", _user(session, role))
    with pytest.raises(Forbidden):  # another site's
        sdv.set_plan(session, session.scalar(select(Site).where(Site.code == "02")), 1, "all",
                     _user(session, "data_manager"))
    with pytest.raises(Invalid):
        sdv.set_plan(session, site, -1, "most", _user(session, "data_manager"))
    with pytest.raises(Invalid):
        sdv.set_plan(session, site, True, "all", _user(session, "data_manager"))
    _as(session, _user(session, "data_manager"))
    sdv.set_plan(session, site, 1, "none", _user(session, "data_manager"))
    session.commit()
    assert sdv.plan_for(session, site.id) == Plan(1, "none")
    trail = session.scalars(select(AuditEvent).where(AuditEvent.entity == "sdv_plan")).all()
    assert [(r.action, r.site_code, r.username) for r in trail] == [("create", "01", "data_manager")]


def test_progress_follows_the_plan(session, world):
    monitor = _user(session, "monitor")
    subjects = [new_subject(session) for _ in range(4)]
    for s in subjects:
        save(session, s, "F.VS", vs_values())
    counts = progress.by_subject(session, [subjects[0].site_id])
    n_ic = len(_form(session, subjects[0], "F.IC", "SE.SUBJECT")[1].values)
    ic_critical = sum(1 for oid, v in _form(session, subjects[3], "F.IC", "SE.SUBJECT")[1].values.items()
                      if v is not None and oid in set(progress.critical_oids()))
    assert counts[subjects[0].id] == progress.Counts(n_ic + 7, 0, 0)  # consent + vital signs, in full
    assert counts[subjects[2].id].required == n_ic + 7
    assert counts[subjects[3].id] == progress.Counts(ic_critical, 0, 0)  # the fourth: critical items only
    t, form = _form(session, subjects[0])
    sdv.verify_items(session, form, subjects[0], t.form, ["I.VS.HR"], monitor)
    session.commit()
    save(session, subjects[0], "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION")
    sdv.verify_items(session, form, subjects[0], t.form, ["I.VS.SYSBP"], monitor)
    counts = progress.by_subject(session, [subjects[0].site_id])
    assert counts[subjects[0].id] == progress.Counts(n_ic + 7, 1, 1)
    assert progress.by_site(session, [subjects[0].site_id])[subjects[0].site_id].required == \
        3 * (n_ic + 7) + ic_critical
    work = {(w.locator.subject_key, w.locator.form_oid): w for w in progress.worklist(session, [subjects[0].site_id])}
    assert work[(subjects[0].key, "F.VS")].counts.changed == 1
    assert (subjects[3].key, "F.VS") not in work and (subjects[3].key, "F.IC") in work
    assert list(work)[0] == (subjects[0].key, "F.VS")  # changed since verification first


def _count(session, fn):
    statements = []
    engine = session.get_bind()
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_progress_and_worklist_take_the_same_number_of_statements_at_3_and_30_subjects(session, world):
    monitor = _user(session, "monitor")
    site_id = None

    def add(n):
        nonlocal site_id
        for _ in range(n):
            s = new_subject(session)
            save(session, s, "F.VS", vs_values())
            t, form = _form(session, s)
            sdv.verify_items(session, form, s, t.form, ["I.VS.HR"], monitor)
            site_id = s.site_id
        session.commit()
        session.expire_all()

    def measure():
        return [_count(session, lambda: progress.by_subject(session, [site_id])),
                _count(session, lambda: progress.by_site(session, [site_id])),
                _count(session, lambda: progress.worklist(session, [site_id]))]

    add(3)
    few = measure()
    add(27)
    assert measure() == few and max(few) <= 4
    assert len(progress.by_subject(session, [site_id])) == 30


def _ctx():
    from helpers import ctx

    return ctx()
