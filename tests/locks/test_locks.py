"""Freeze and lock in the domain: each scope closes its forms and no others, on every write path; undo reopens."""
from __future__ import annotations

import pytest
from helpers import demographics, new_subject, save, vs_values
from sqlalchemy import event, select

from ecrf.capture import locks
from ecrf.capture.locks import LockState
from ecrf.errors import Forbidden, Invalid, Locked, Refused

CHEM = {"I.CHEM.DTC": "2026-11-02", "I.CHEM.CREATORRES": "50", "I.CHEM.CREATU": "umol/L",
        "I.CHEM.ALT": "20", "I.CHEM.ALTULN": "40",
        "I.CHEM.AST": "20", "I.CHEM.ASTULN": "40", "I.CHEM.BILI": "8", "I.CHEM.BILIULN": "21",
        "I.CHEM.CLSIG": "false"}
VS_M = {**vs_values(), "I.VS.DTC": "2026-11-25T09:00"}


def _user(session, name="data_manager"):
    from ecrf.auth.models import User

    return session.scalar(select(User).where(User.username == name))


def _site(session, code):
    from ecrf.auth.models import Site

    return session.scalar(select(Site).where(Site.code == code))


def close(session, scope="form", level="locked", reason="database lock", **kw):
    row = locks.close(session, _user(session), scope=scope, level=level, reason=reason, **kw)
    session.commit()
    return row


def _saves(session, subject, form_oid="F.VS", event_oid="SE.SCREENING", values=None) -> bool:
    """Whether a (changed) save goes through; rolled back either way is not needed: a refusal stores nothing."""
    try:
        save(session, subject, form_oid, values or vs_values(**{"I.VS.HR": str(60 + _saves.n)}), event_oid=event_oid,
             reason_code="TRANSCRIPTION")
        _saves.n += 1
        return True
    except Locked:
        session.rollback()
        return False


_saves.n = 1


@pytest.fixture
def two(session, world):
    """A subject at each site, each with vital signs at screening and month 6."""
    out = {}
    for code in ("01", "02"):
        s = new_subject(session, code)
        save(session, s, "F.VS", vs_values())
        save(session, s, "F.VS", VS_M, event_oid="SE.M6")
        out[code] = s
    return out


def test_a_form_lock_closes_that_form_only(session, two):
    s = two["01"]
    close(session, subject=s, event_oid="SE.SCREENING", form_oid="F.VS")
    assert not _saves(session, s)
    assert _saves(session, s, event_oid="SE.M6", values=VS_M)
    assert _saves(session, s, "F.HTWT", values={"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "170",
                                                "I.HTWT.WEIGHT": "60"})
    assert _saves(session, two["02"])


def test_the_refusal_names_the_level_scope_and_reason(session, two):
    close(session, level="frozen", reason="interim review", subject=two["01"], event_oid="SE.SCREENING",
          form_oid="F.VS")
    with pytest.raises(Locked) as refused:
        save(session, two["01"], "F.VS", vs_values(**{"I.VS.HR": "99"}), reason_code="TRANSCRIPTION")
    assert "This form is frozen" in str(refused.value) and "interim review" in str(refused.value)
    assert refused.value.status == 423


def test_a_visit_lock_closes_its_forms_also_new_ones(session, two):
    s = two["01"]
    close(session, scope="event", subject=s, event_oid="SE.SCREENING")
    assert not _saves(session, s)
    assert not _saves(session, s, "F.HTWT", values={"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "170",
                                                    "I.HTWT.WEIGHT": "60"})  # a form not stored yet
    assert _saves(session, s, event_oid="SE.M6", values=VS_M)


def test_a_casebook_lock_closes_every_form_of_the_subject_only(session, two):
    close(session, scope="subject", subject=two["01"])
    assert not _saves(session, two["01"]) and not _saves(session, two["01"], event_oid="SE.M6", values=VS_M)
    assert _saves(session, two["02"])


def test_a_site_lock_leaves_the_other_site_writable(session, two):
    close(session, scope="site", site=_site(session, "01"))
    assert not _saves(session, two["01"])
    assert _saves(session, two["02"])
    with pytest.raises(Locked):  # a new subject's forms at the locked site too
        new_subject(session, "01")
    session.rollback()


def test_a_study_lock_closes_both_sites(session, two):
    close(session, scope="study", level="frozen")
    assert not _saves(session, two["01"]) and not _saves(session, two["02"])


@pytest.mark.parametrize("scope", ["subject", "site", "study"])
def test_up_to_month_6_leaves_month_9_and_subject_level_forms_writable(session, two, scope):
    s = two["01"]
    target = {"subject": {"subject": s}, "site": {"site": _site(session, "01")}, "study": {}}[scope]
    close(session, scope=scope, up_to_event_oid="SE.M6", reason="primary analysis", **target)
    assert not _saves(session, s) and not _saves(session, s, event_oid="SE.M6", values=VS_M)
    assert _saves(session, s, event_oid="SE.M9", values={**VS_M, "I.VS.DTC": "2026-11-26T09:00"})
    demographics(session, s)  # SE.SUBJECT (Common) is outside "up to"
    assert _saves(session, s, event_oid="SE.UNSCHED", values=VS_M)  # unscheduled visits too


def test_lock_beats_freeze(session, two):
    s = two["01"]
    close(session, scope="study", level="frozen")
    close(session, scope="form", level="locked", subject=s, event_oid="SE.SCREENING", form_oid="F.VS")
    from ecrf.capture import services

    vs = services.find_form(session, services.resolve(s, "SE.SCREENING", "F.VS"))
    m6 = services.find_form(session, services.resolve(s, "SE.M6", "F.VS"))
    assert locks.form_state(session, vs) is LockState.LOCKED and locks.form_state(session, m6) is LockState.FROZEN
    assert locks.subject_state(session, s) is LockState.FROZEN
    states = locks.states_for_subject(session, s.id)
    assert states[vs.id] is LockState.LOCKED and states[m6.id] is LockState.FROZEN


def test_undo_restores_writing_and_keeps_the_record(session, two):
    from ecrf.audit.models import AuditEvent

    s = two["01"]
    row = close(session, scope="subject", subject=s)
    assert not _saves(session, s)
    locks.undo(session, _user(session), row.id, "closed in error")
    session.commit()
    assert _saves(session, s)
    assert row.undone_at is not None and row.undo_reason == "closed in error" and row.reason == "database lock"
    trail = session.scalars(select(AuditEvent).where(AuditEvent.entity == "data_lock")).all()
    assert [a.action for a in trail] == ["create", "update"]
    with pytest.raises(Refused):
        locks.undo(session, _user(session), row.id, "again")


@pytest.mark.parametrize("kw, field", [
    ({"reason": ""}, "reason"), ({"reason": "   "}, "reason"), ({"reason": None}, "reason"),
    ({"reason": "x" * 1001}, "reason"), ({"reason": "bad\x00"}, "reason"), ({"scope": "galaxy"}, "scope"),
    ({"level": "sealed"}, "level"), ({"scope": "event", "event_oid": "SE.NOPE"}, "event_oid"),
    ({"scope": "form", "event_oid": "SE.SCREENING", "form_oid": "F.INF"}, "form_oid"),
    ({"scope": "subject", "up_to_event_oid": "SE.SUBJECT"}, "up_to_event_oid"),
    ({"scope": "form", "event_oid": "SE.SCREENING", "form_oid": "F.VS", "up_to_event_oid": "SE.M6"},
     "up_to_event_oid"),
])
def test_bad_input_is_invalid_and_changes_nothing(session, two, kw, field):
    from ecrf.capture.lock_models import DataLock

    args = {"scope": "subject", "level": "locked", "reason": "why", "subject": two["01"], **kw}
    with pytest.raises(Invalid) as refused:
        locks.close(session, _user(session), **args)
    assert field in refused.value.errors and refused.value.status == 422
    session.rollback()
    assert session.scalar(select(DataLock)) is None
    row = close(session, scope="subject", subject=two["01"])
    with pytest.raises(Invalid) as refused:
        locks.undo(session, _user(session), row.id, " ")
    assert "undo_reason" in refused.value.errors
    session.rollback()
    assert session.get(DataLock, row.id).undone_at is None


@pytest.mark.parametrize("role", ["investigator", "coordinator", "monitor", "sponsor", "admin"])
def test_only_a_data_manager_freezes_locks_or_undoes(session, two, role):
    with pytest.raises(Forbidden):
        locks.close(session, _user(session, role), scope="study", level="frozen", reason="why")
    row = close(session, scope="study", level="frozen")
    with pytest.raises(Forbidden):
        locks.undo(session, _user(session, role), row.id, "why")


def test_a_data_manager_of_one_site_cannot_close_another(session, two):
    with pytest.raises(Forbidden):
        locks.close(session, _user(session), scope="site", level="locked", reason="x", site=_site(session, "02"))
    with pytest.raises(Forbidden):
        locks.close(session, _user(session), scope="subject", level="locked", reason="x", subject=two["02"])


def test_the_same_lock_twice_is_refused(session, two):
    close(session, scope="study")
    with pytest.raises(Refused):
        close(session, scope="study")


def test_lock_rows_are_append_only(session, two):
    row = close(session, scope="study")
    row.reason = "changed"
    with pytest.raises(Refused):
        session.flush()
    session.rollback()
    session.delete(session.get(type(row), row.id))
    with pytest.raises(Refused):
        session.flush()
    session.rollback()


def test_recomputation_leaves_a_locked_calculated_value(session, world):
    from ecrf.capture.facts import event_values

    subject = new_subject(session)
    demographics(session, subject, "F", "2016-03-01")  # a child: the eGFR (Schwartz) reads the height
    save(session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "140", "I.HTWT.WEIGHT": "35"})
    save(session, subject, "F.CHEM", CHEM)
    close(session, subject=subject, event_oid="SE.SCREENING", form_oid="F.CHEM")
    save(session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "150", "I.HTWT.WEIGHT": "35"},
         reason_code="TRANSCRIPTION")  # the height is open: it saves, the locked eGFR is left as it was
    session.expire_all()
    assert event_values(session, subject.id, ["SE.SCREENING"])["SE.SCREENING"]["I.CHEM.EGFR"] == "102.2"
    assert event_values(session, subject.id, ["SE.SCREENING"])["SE.SCREENING"]["I.HTWT.HEIGHT"] == "150"


def test_a_visit_cannot_be_marked_not_done_under_a_lock(session, two):
    from ecrf.visits.services import mark_not_done

    close(session, scope="subject", subject=two["01"], level="frozen")
    with pytest.raises(Locked) as refused:
        mark_not_done(session, two["01"], "SE.D1", 1, "ill")
    assert "This visit is frozen" in str(refused.value)
    session.rollback()
    mark_not_done(session, two["02"], "SE.D1", 1, "ill")


def test_the_flush_guard_refuses_a_direct_orm_write(session, two):
    from ecrf.capture.models import FormData, ItemData, StudyEventData

    close(session, scope="subject", subject=two["01"])
    item = session.scalar(select(ItemData).join(ItemData.form).join(FormData.event)
                          .where(StudyEventData.subject_id == two["01"].id, ItemData.item_oid == "I.VS.HR"))
    item.value = "120"
    with pytest.raises(Locked):
        session.flush()
    session.rollback()
    form = session.get(FormData, item.form_id)
    session.add(ItemData(form=form, item_oid="I.VS.NEW", value="1"))
    with pytest.raises(Locked):
        session.flush()
    session.rollback()
    session.delete(session.get(ItemData, item.id))
    with pytest.raises(Locked):
        session.flush()
    session.rollback()
    event_row = session.get(StudyEventData, form.event_id)
    event_row.status = "completed"
    with pytest.raises(Locked):
        session.flush()
    session.rollback()


def _count(session, fn):
    statements = []
    engine = session.get_bind()
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, len(statements)


def test_bulk_states_take_the_same_number_of_statements_at_3_and_30_subjects(session, world):
    site = _site(session, "01")
    subjects = []
    counts = {}
    for n in (3, 30):
        while len(subjects) < n:
            s = new_subject(session)
            save(session, s, "F.VS", vs_values())
            subjects.append(s)
        close(session, scope="subject", subject=subjects[-1], reason=f"lock {n}")
        session.expire_all()
        states, by_site = _count(session, lambda: locks.states_for_site(session, site.id))
        _, by_subject = _count(session, lambda: locks.states_for_subject(session, subjects[0].id))
        counts[n] = (by_site, by_subject)
        assert len(states) == 2 * n  # consent and vital signs of each
        assert list(states.values()).count(LockState.LOCKED) == 2 * (1 if n == 3 else 2)
    assert counts[3] == counts[30] and counts[3][0] <= 3 and counts[3][1] <= 3


def test_a_flush_with_data_rows_costs_one_exists_when_nothing_is_locked(session, world):
    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    session.commit()
    from ecrf.capture.models import ItemData

    item = session.scalar(select(ItemData).where(ItemData.item_oid == "I.VS.HR"))
    item.value = "73"
    statements = []
    engine = session.get_bind()
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    session.rollback()
    assert [s for s in statements if "data_lock" in s] == [statements[0]] and "EXISTS" in statements[0]
