"""Query steps through the services: every transition by every role and raiser, append-only threads, locks, bad
input, data changes that answer, and system queries from soft findings."""
from __future__ import annotations

import pytest
from helpers import save, vs_values
from qhelpers import OWNER, ROLES, START, make_query, snapshot, target, user
from sqlalchemy import select, text

from ecrf.errors import Forbidden, Invalid, Locked, NotFound, Refused
from ecrf.queries import services
from ecrf.queries.models import Query, QueryMessage

SITE_STAFF = {"investigator", "coordinator"}
END = {"answer": "answered", "close": "closed", "cancel": "cancelled", "reopen": "open"}


def allowed(step, raiser, role):
    if step == "answer":
        return role in SITE_STAFF
    return role in ({"monitor", "data_manager"} if raiser == "system" else {raiser})


def test_every_step_by_every_role_for_every_raiser(app, forms):
    from ecrf.infra.extensions import db

    with app.app_context():
        s = db.session
        for raiser in ("monitor", "data_manager", "system"):
            for step, start in START.items():
                for role in ROLES:
                    qid = make_query(s, forms["01"], raiser, start)
                    q = s.get(Query, qid)
                    if allowed(step, raiser, role):
                        services.step(s, q, step, "because", user(s, role))
                        s.commit()
                        assert q.state == END[step] and q.messages[-1].role == role, (raiser, step, role)
                        assert q.messages[-1].state_after == END[step] and q.messages[-1].step == step
                    else:
                        before = snapshot(s)
                        with pytest.raises(Forbidden):
                            services.step(s, q, step, "because", user(s, role))
                        s.rollback()
                        assert snapshot(s) == before, (raiser, step, role)


@pytest.mark.parametrize("step,state", [("answer", "answered"), ("answer", "closed"), ("close", "closed"),
                                        ("close", "cancelled"), ("cancel", "closed"), ("reopen", "open"),
                                        ("reopen", "cancelled")])
def test_a_step_the_state_does_not_allow_is_refused(session, forms, step, state):
    q = session.get(Query, make_query(session, forms["01"], "monitor", state))
    who = "coordinator" if step == "answer" else "monitor"
    with pytest.raises(Refused, match="cannot be"):
        services.step(session, q, step, "x", user(session, who))


def test_reopen_from_answered_returns_to_open_and_the_thread_keeps_every_step(session, forms):
    q = session.get(Query, make_query(session, forms["01"], "monitor", "answered"))
    services.step(session, q, "reopen", "The answer does not match the source.", user(session, "monitor"))
    services.step(session, q, "answer", "Corrected in the source.", user(session, "investigator"))
    services.step(session, q, "close", "OK.", user(session, "monitor"))
    session.commit()
    assert [(m.step, m.state_after) for m in q.messages] == [
        ("raise", "open"), ("answer", "answered"), ("reopen", "open"), ("answer", "answered"), ("close", "closed")]
    assert all(m.at.tzinfo is not None for m in q.messages)


def test_every_step_is_in_the_audit_trail(session, forms):
    from ecrf.audit.models import AuditEvent

    qid = make_query(session, forms["01"], "monitor", "closed")
    rows = session.scalars(select(AuditEvent).where(AuditEvent.entity.in_(("item_query", "item_query_message")))
                           .order_by(AuditEvent.seq)).all()
    assert [r.entity for r in rows].count("item_query_message") == 3
    assert all(r.item_oid == "I.VS.DIABP" and r.subject_key == forms["01"] for r in rows)
    assert any(r.entity == "item_query" and '"closed"' in (r.new_value or "") for r in rows)
    assert all(f"/Q{qid}" in r.entity_key for r in rows)


def test_messages_cannot_be_changed_or_deleted_in_the_database(session, forms):
    qid = make_query(session, forms["01"])
    for sql in ("UPDATE item_query_message SET text = 'rewritten'", "DELETE FROM item_query_message",
                f"DELETE FROM item_query WHERE id = {qid}"):
        with pytest.raises(Exception, match="append-only"):
            session.execute(text(sql))
        session.rollback()
    assert session.scalar(select(QueryMessage.text)) == "Please check against the source."


@pytest.mark.parametrize("item,form,error", [
    ("I.VS.NOPE", "F.VS", NotFound), ("I.CHEM.CREAT", "F.VS", NotFound), ("I.CHEM.CREAT", "F.CHEM", NotFound)])
def test_a_query_on_an_item_that_does_not_exist_is_refused(session, forms, item, form, error):
    before = snapshot(session)
    with pytest.raises(error):
        services.raise_query(session, target(session, forms["01"], form), item, "x", user(session, "monitor"))
    session.rollback()
    assert snapshot(session) == before


@pytest.mark.parametrize("text_", [None, "", "   ", "x" * 2001, "bad\x00"])
def test_a_step_without_a_usable_text_is_refused(session, forms, text_):
    with pytest.raises(Invalid) as raised:
        services.raise_query(session, target(session, forms["01"]), "I.VS.HR", text_, user(session, "monitor"))
    assert "text" in raised.value.errors
    session.rollback()
    q = session.get(Query, make_query(session, forms["01"]))
    before = snapshot(session)
    with pytest.raises(Invalid):
        services.step(session, q, "answer", text_, user(session, "coordinator"))
    session.rollback()
    assert snapshot(session) == before


@pytest.mark.parametrize("role", ["monitor", "data_manager"])
def test_only_monitors_and_data_managers_raise(session, forms, role):
    for other in ROLES:
        if other in ("monitor", "data_manager"):
            continue
        with pytest.raises(Forbidden):
            services.raise_query(session, target(session, forms["01"]), "I.VS.HR", "x", user(session, other))
    q = services.raise_query(session, target(session, forms["01"]), "I.VS.HR", "x", user(session, role))
    assert q.raised_role == role and q.raised_by_id == user(session, role).id


def test_another_sites_subject_is_refused(session, forms):
    with pytest.raises(Forbidden):
        services.raise_query(session, target(session, forms["02"]), "I.VS.HR", "x", user(session, "monitor"))
    session.rollback()
    q = session.get(Query, make_query(session, forms["01"]))
    for name, step in (("coordinator2", "answer"), ("monitor2", "close")):
        with pytest.raises(Forbidden, match="another site"):
            services.step(session, q, step, "x", user(session, name))
        with pytest.raises(Forbidden):
            services.get_query(session, q.id, user(session, name))


def test_the_sponsor_reads_no_thread(session, forms):
    qid = make_query(session, forms["01"])
    with pytest.raises(Forbidden, match="counts"):
        services.get_query(session, qid, user(session, "sponsor"))
    assert services.get_query(session, qid, user(session, "coordinator")).id == qid


def test_the_sponsor_reads_no_thread_text_in_the_audit_trail_either(session, forms):
    from sqlalchemy import select

    from ecrf.audit.models import AuditEvent
    from ecrf.casebook.audit_trail import value_for
    from ecrf.study.masking import WITHHELD

    make_query(session, forms["01"])
    session.commit()
    row = session.scalar(select(AuditEvent).where(AuditEvent.entity == "item_query_message"))
    assert row is not None and row.item_oid.startswith("I.VS.") and row.new_value
    assert value_for(row, row.new_value, "sponsor") == WITHHELD
    assert value_for(row, row.new_value, "monitor") == row.new_value


def test_a_locked_form_takes_no_query_step_a_frozen_one_does(session, forms, monkeypatch):
    from ecrf.capture.locks import LockState
    from ecrf.queries import services as module

    qid = make_query(session, forms["01"])
    q = session.get(Query, qid)
    monkeypatch.setattr(module, "form_state", lambda s, f: LockState.LOCKED)
    before = snapshot(session)
    with pytest.raises(Locked):
        services.raise_query(session, target(session, forms["01"]), "I.VS.HR", "x", user(session, "monitor"))
    with pytest.raises(Locked):
        services.step(session, q, "answer", "x", user(session, "coordinator"))
    session.rollback()
    assert snapshot(session) == before
    monkeypatch.setattr(module, "form_state", lambda s, f: LockState.FROZEN)
    services.raise_query(session, target(session, forms["01"]), "I.VS.HR", "x", user(session, "monitor"))
    services.step(session, session.get(Query, qid), "answer", "x", user(session, "coordinator"))


def test_a_real_form_lock_refuses_too(session, forms):
    from ecrf.capture import locks

    t = target(session, forms["01"])
    locks.close(session, user(session, "data_manager"), scope="form", level="locked", reason="database lock",
                subject=t.subject, event_oid=t.event.oid, form_oid=t.form.oid)
    session.flush()
    with pytest.raises(Locked):
        services.raise_query(session, target(session, forms["01"]), "I.VS.HR", "x", user(session, "monitor"))


# -- a data change with the reason "query response" ---------------------------------------------------------------

def test_a_change_with_reason_query_answers_the_open_queries_on_the_changed_items(session, forms):
    from ecrf.subjects.models import Subject

    on_dia = make_query(session, forms["01"], item="I.VS.DIABP")
    on_hr = make_query(session, forms["01"], item="I.VS.HR")
    closed = make_query(session, forms["01"], item="I.VS.DIABP", state="closed")
    subject = session.scalar(select(Subject).where(Subject.key == forms["01"]))
    save(session, subject, "F.VS", vs_values(**{"I.VS.DIABP": "74"}), reason_code="QUERY",
         reason_note="re-measured")
    session.expire_all()
    q = session.get(Query, on_dia)
    assert q.state == "answered"
    assert '"74"' in q.messages[-1].text and "re-measured" in q.messages[-1].text
    assert q.messages[-1].step == "answer"
    assert session.get(Query, on_hr).state == "open"  # its item did not change
    assert session.get(Query, closed).state == "closed"


def test_a_change_with_another_reason_answers_nothing(session, forms):
    from ecrf.subjects.models import Subject

    qid = make_query(session, forms["01"], item="I.VS.DIABP")
    subject = session.scalar(select(Subject).where(Subject.key == forms["01"]))
    save(session, subject, "F.VS", vs_values(**{"I.VS.DIABP": "74"}), reason_code="TRANSCRIPTION")
    session.expire_all()
    assert session.get(Query, qid).state == "open"


def test_the_trial_rules_install_the_observer_and_the_sink():
    from ecrf.queries.system import answer_by_data_change, sync_system_queries
    from ecrf.rules import TRIAL_RULES

    assert answer_by_data_change in TRIAL_RULES.observers
    assert sync_system_queries in TRIAL_RULES.findings


# -- system queries -------------------------------------------------------------------------------------------------

def test_system_queries_open_once_and_close_themselves_when_the_check_holds(session, forms):
    from ecrf.capture import rules
    from ecrf.capture.services import find_form
    from ecrf.study.checks import Finding

    form = find_form(session, target(session, forms["01"]))
    dia = Finding("VS.DIA_LT_SYS", "I.VS.DIABP", "Diastolic must be below systolic.")
    hr = Finding("VS.HR_PLAUSIBLE", "I.VS.HR", "Heart rate unusual.")
    rules.found(session, form, [dia, hr], None)
    rules.found(session, form, [dia, hr], None)  # the same findings again: nothing new
    queries = session.scalars(select(Query).order_by(Query.id)).all()
    assert [(q.item_oid, q.check_id, q.state, q.raised_role, q.raised_by_id) for q in queries] == [
        ("I.VS.DIABP", "VS.DIA_LT_SYS", "open", "system", None), ("I.VS.HR", "VS.HR_PLAUSIBLE", "open", "system", None)]
    assert queries[0].messages[0].text == "Diastolic must be below systolic." and queries[0].messages[0].user_id is None
    services.step(session, queries[0], "answer", "Source says so.", user(session, "coordinator"))
    rules.found(session, form, [dia], None)  # HR holds now; DIA still found (answered: no second query)
    session.expire_all()
    queries = session.scalars(select(Query).order_by(Query.id)).all()
    assert [q.state for q in queries] == ["answered", "closed"]
    assert queries[1].messages[-1].role == "system" and "holds now" in queries[1].messages[-1].text
    rules.found(session, form, [], None)
    session.expire_all()
    assert [q.state for q in session.scalars(select(Query).order_by(Query.id))] == ["closed", "closed"]
    rules.found(session, form, [hr], None)  # found again later: a new query
    assert session.scalar(select(Query).where(Query.state == "open")).check_id == "VS.HR_PLAUSIBLE"


def test_a_system_query_closing_itself_is_audited(session, forms):
    from ecrf.audit.models import AuditEvent

    qid = make_query(session, forms["01"], "system")
    from ecrf.capture.services import find_form
    from ecrf.queries.system import sync_system_queries

    sync_system_queries(session, find_form(session, target(session, forms["01"])), [], None)
    session.commit()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.entity == "item_query",
                                                    AuditEvent.entity_key.like(f"%/Q{qid}"))).all()
    assert [r.action for r in rows] == ["create", "update"] and '"closed"' in rows[-1].new_value


def test_a_system_query_is_closed_by_monitors_or_data_managers(session, forms):
    assert OWNER["system"] in ("monitor", "data_manager")
    for role in ("monitor", "data_manager"):
        q = session.get(Query, make_query(session, forms["01"], "system"))
        services.step(session, q, "cancel", "not an issue", user(session, role))
        assert q.state == "cancelled"
