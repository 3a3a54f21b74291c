"""The audit trail: complete, in the same transaction, append-only, tamper-evident, readable."""
from __future__ import annotations

import re

import pytest
from helpers import VS_URL, legacy_reason_row, new_subject, save, vs_values
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DatabaseError

from ecrf.study.words import render


def _events(session, **where):
    from ecrf.audit.models import AuditEvent

    return list(session.scalars(select(AuditEvent).filter_by(**where).order_by(AuditEvent.seq)))


def test_item_values_get_one_record_each_with_old_new_user_and_reason(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    browser = as_role("coordinator")
    browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"})
    other = as_role("investigator")
    other.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.HR": "91"}), "version": "1",
                                        "reason_code": "OTHER", "reason_note": "re-measured after rest"})
    with app.app_context():
        history = _events(db.session, subject_key=key, item_oid="I.VS.HR")
        assert [(e.action, e.old_value, e.new_value, e.username) for e in history] == [
            ("create", None, "72", "coordinator"), ("update", "72", "91", "investigator")]
        assert history[1].reason == '{"code":"OTHER","note":"re-measured after rest"}'  # a code, the note as typed
        assert render(history[1].reason) == "Other (explain): re-measured after rest"
        assert history[1].role == "investigator" and history[1].actor_sites == "01" and history[1].site_code == "01"
        assert history[1].ts.tzinfo is not None and history[1].ts >= history[0].ts
        assert history[1].entity_key == f"{key}/SE.SCREENING[1]/F.VS[1]/I.VS.HR"
    # the item's history page shows both values, both users, the reason
    page = other.get(f"{VS_URL.format(key=key)}/items/I.VS.HR/audit").get_data(as_text=True)
    for text_ in ("72 beats/min", "91 beats/min", "coordinator", "investigator", "re-measured after rest", "CST"):
        assert text_ in page


def test_a_write_that_bypasses_the_views_is_audited(session, world):
    from ecrf.capture.models import ItemData

    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    row = session.scalar(select(ItemData).where(ItemData.item_oid == "I.VS.SPO2"))
    session.expire_all()  # old value not loaded: the listener must still know it
    row = session.scalar(select(ItemData).where(ItemData.item_oid == "I.VS.SPO2"))
    row.value = "95"
    session.commit()
    last = _events(session, item_oid="I.VS.SPO2")[-1]
    assert (last.action, last.old_value, last.new_value, last.username) == ("update", "98", "95", "test")


def test_bulk_orm_writes_on_audited_tables_are_refused(session, world):
    from ecrf.capture.models import ItemData
    from ecrf.errors import AuditBypassError

    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    before = session.scalar(select(func.count()).select_from(_table()))
    with pytest.raises(AuditBypassError):
        session.execute(update(ItemData).values(value="1"))
    session.rollback()
    with pytest.raises(AuditBypassError):
        session.execute(__import__("sqlalchemy").delete(ItemData))
    session.rollback()
    with pytest.raises(AuditBypassError):
        session.execute(__import__("sqlalchemy").insert(ItemData), [{"form_id": 1, "item_oid": "I.X", "value": "1"}])
    session.rollback()
    # the legacy bulk API skips flush events too
    from ecrf.auth.models import Site

    for attempt in (lambda: session.bulk_save_objects([Site(code="B1", name="b", timezone="UTC")]),
                    lambda: session.bulk_insert_mappings(Site, [{"code": "B2", "name": "b", "timezone": "UTC"}]),
                    lambda: session.bulk_update_mappings(ItemData, [{"id": 1, "value": "1"}])):
        with pytest.raises(AuditBypassError):
            attempt()
        session.rollback()
    assert session.scalar(select(func.count()).select_from(_table())) == before
    assert set(session.scalars(select(ItemData.value))) != {"1"}
    assert session.scalar(select(func.count()).select_from(Site).where(Site.code.in_(("B1", "B2")))) == 0


def _table():
    from ecrf.audit.models import AuditEvent

    return AuditEvent.__table__


def test_rolled_back_transaction_leaves_no_audit_record(session, world):
    subject = new_subject(session)
    count = session.scalar(select(func.count()).select_from(_table()))
    from helpers import ctx

    from ecrf.capture import services

    services.save_form(session, services.resolve(subject, "SE.SCREENING", "F.VS"), vs_values(), version=0,
                       user_id=None, ctx=ctx())
    assert session.scalar(select(func.count()).select_from(_table())) > count  # written, in the transaction
    session.rollback()
    assert session.scalar(select(func.count()).select_from(_table())) == count


def test_raw_update_delete_on_the_audit_table_are_refused_by_the_database(session, world):
    session.commit()
    for statement in ("UPDATE audit_event SET new_value = 'forged'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(text("TRUNCATE audit_event"))
        session.rollback()
        # ENABLE ALWAYS: replica mode does not silence the trigger
        session.execute(text("SET session_replication_role = replica"))
        with pytest.raises(DatabaseError, match="append-only"):
            session.execute(text("DELETE FROM audit_event"))
        session.rollback()
    assert session.scalar(select(func.count()).select_from(_table())) > 0


def _drop_triggers(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_event_no_update_delete ON audit_event"))
    else:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
    session.commit()


def _verify(session):
    from ecrf.audit.chain import verify

    return verify(session.connection())


def _trail(session, world):
    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION")
    result = _verify(session)
    assert result.ok and result.count > 10
    return result


def test_verify_passes_on_an_intact_trail(session, world):
    result = _trail(session, world)
    from ecrf.audit.models import AuditHead

    assert result.head_hash == session.get(AuditHead, 1).hash


@pytest.mark.parametrize("tamper,first_bad,problem", [
    ("UPDATE audit_event SET new_value = '60' WHERE seq = 5", 5, "hash"),  # an altered record
    ("DELETE FROM audit_event WHERE seq = 7", 7, "missing"),  # a removed record
])
def test_verify_names_an_altered_or_removed_record(session, world, tamper, first_bad, problem):
    _trail(session, world)
    _drop_triggers(session)
    session.execute(text(tamper))
    session.commit()
    result = _verify(session)
    assert not result.ok and result.first_bad_seq == first_bad and problem in result.problem


def test_verify_names_an_inserted_record(session, world):
    from ecrf.audit.chain import record_hash

    _trail(session, world)
    _drop_triggers(session)
    # make room by shifting records 6.. up by one, then forge record 6 with a self-consistent hash
    rows = session.execute(text("SELECT * FROM audit_event WHERE seq >= 6 ORDER BY seq DESC")).mappings().all()
    for row in rows:
        session.execute(text("UPDATE audit_event SET seq = seq + 1 WHERE seq = :s"), {"s": row["seq"]})
    forged = dict(session.execute(text("SELECT * FROM audit_event WHERE seq = 5")).mappings().one())
    from ecrf.audit.models import AuditEvent

    forged = {k: v for k, v in session.scalars(select(AuditEvent).where(AuditEvent.seq == 5)).one().__dict__.items()
              if not k.startswith("_")}
    forged.update(seq=6, prev_hash=forged["hash"], new_value="forged")
    forged["hash"] = record_hash(forged)
    session.execute(_table().insert(), [forged])
    session.commit()
    result = _verify(session)
    # a hash made without the audit key: the forgery itself is named (an unkeyed chain named only the next one)
    assert not result.ok and result.first_bad_seq == 6 and "hash" in result.problem


def test_cli_audit_verify_exit_codes(app, world, db_url, monkeypatch):
    from click.testing import CliRunner

    from ecrf.cli import main
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        save(db.session, subject, "F.VS", vs_values())
    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "x")
    ok = CliRunner().invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "audit trail intact" in ok.output and "head hash" in ok.output
    with app.app_context():
        _drop_triggers(db.session)
        db.session.execute(text("UPDATE audit_event SET username = 'someone else' WHERE seq = 3"))
        db.session.commit()
    bad = CliRunner().invoke(main, ["audit", "verify"])
    assert bad.exit_code == 1 and "sequence number 3" in bad.output


def _cli_verify(db_url, monkeypatch):
    """Run ``ecrf audit verify`` against the test database, as an operator would."""
    from click.testing import CliRunner

    from ecrf.cli import main

    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "x")
    return CliRunner().invoke(main, ["audit", "verify"])


def _printed_head(output: str) -> str:
    match = re.search(r"head hash ([0-9a-f]{64})", output)
    assert match, output
    return match.group(1)


def _trail_with_later_records(session, world):
    """A form, a heart-rate correction (72 -> 80) and a later SpO2 correction, so the HR correction
    has successors in the chain."""
    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION")
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "80", "I.VS.SPO2": "97"}), reason_code="TRANSCRIPTION")
    assert _verify(session).ok
    session.commit()


def _forge_correction(session, key=None):
    """Rewrite the record of the heart-rate correction (HR -> 80) to say 72, with a hash that fits it
    (SHA-256, or an HMAC when the forger holds the audit ``key``).

    This is what a database owner could do once the append-only triggers are gone. Returns its seq.
    """
    from ecrf.audit.chain import record_hash

    events = _table()
    row = dict(session.execute(select(events).where(events.c.item_oid == "I.VS.HR", events.c.new_value == "80"))
               .mappings().one())
    row["new_value"] = "72"
    row["hash"] = record_hash(row, key)
    session.execute(update(events).where(events.c.seq == row["seq"]).values(new_value="72", hash=row["hash"]))
    return row["seq"], row["hash"]


def _key():
    from ecrf.infra.config import current_audit_key as current_key

    return current_key()


def test_cli_verify_names_a_rewritten_record_whose_hash_was_made_without_the_key(session, world, db_url, monkeypatch):
    from ecrf.audit.chain import record_hash

    _trail_with_later_records(session, world)
    before = _cli_verify(db_url, monkeypatch)
    assert before.exit_code == 0, before.output
    _drop_triggers(session)
    seq, _ = _forge_correction(session)
    forged = session.execute(select(_table()).where(_table().c.seq == seq)).one()
    assert forged.new_value == "72" and record_hash(forged) == forged.hash  # a correct-looking SHA-256
    session.commit()
    result = _cli_verify(db_url, monkeypatch)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at sequence number {seq}: content does not match its hash" in result.output


def test_cli_verify_names_the_record_after_one_rewritten_with_the_key(session, world, db_url, monkeypatch):
    """Even the key's holder cannot rewrite one record alone: the next record's link gives it away."""
    _trail_with_later_records(session, world)
    _drop_triggers(session)
    seq, _ = _forge_correction(session, _key())
    assert seq < session.scalar(select(func.max(_table().c.seq))), "the forged record needs a successor"
    session.commit()
    result = _cli_verify(db_url, monkeypatch)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at sequence number {seq + 1}: link to the previous record is broken" in result.output


def _drop_head_triggers(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_head_guard ON audit_head"))
    else:
        for name in ("audit_head_no_insert", "audit_head_no_delete", "audit_head_forward_only"):
            session.execute(text(f"DROP TRIGGER {name}"))
    session.commit()


def test_rewriting_the_rest_of_the_chain_and_its_head_with_the_key_passes_verify_but_changes_the_printed_head(
        session, world, db_url, monkeypatch):
    """The known limit of a keyed chain: whoever holds the key and owner rights (triggers dropped) can
    rewrite every later record and the head into a chain that verifies. What gives it away is the head:
    the one printed (and exported to the sponsor) before the rewrite is not the one shown afterwards."""
    from ecrf.audit.chain import head_mac, record_hash
    from ecrf.audit.models import AuditHead

    key = _key()
    _trail_with_later_records(session, world)
    before = _cli_verify(db_url, monkeypatch)
    assert before.exit_code == 0, before.output
    exported_head = _printed_head(before.output)
    _drop_triggers(session)
    _drop_head_triggers(session)
    seq, prev = _forge_correction(session, key)
    events = _table()
    later = session.execute(select(events).where(events.c.seq > seq).order_by(events.c.seq)).mappings().all()
    assert later, "the forgery must have successors to re-chain"
    for row in later:
        row = {**row, "prev_hash": prev}
        prev = row["hash"] = record_hash(row, key)
        session.execute(update(events).where(events.c.seq == row["seq"]).values(prev_hash=row["prev_hash"],
                                                                                hash=row["hash"]))
    last = later[-1]["seq"]
    # and the value itself, or the reconciliation of item values with the trail names it
    session.execute(text("UPDATE item_data SET value = '72' WHERE item_oid = 'I.VS.HR'"))
    session.execute(update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1)
                    .values(hash=prev, mac=head_mac(last, prev, key)))
    session.commit()
    after = _cli_verify(db_url, monkeypatch)
    # the chain alone cannot tell: every hash and link is consistent again
    assert after.exit_code == 0 and "audit trail intact" in after.output, after.output
    assert _printed_head(after.output) == prev
    assert _printed_head(after.output) != exported_head  # what a head kept outside the database detects


def test_form_and_subject_views_filter_and_paginate(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    browser = as_role("coordinator")
    browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"})
    page = browser.get(f"/subjects/{key}/audit?user=coordinator").get_data(as_text=True)
    assert page.count('data-testid="audit-row"') == 9  # the coordinator's: screening event, form and 7 items
    assert browser.get(f"/subjects/{key}/audit?user=nobody").get_data(as_text=True).count("audit-row") == 0
    only_updates = browser.get(f"/subjects/{key}/audit?action=update").get_data(as_text=True)
    assert only_updates.count('data-testid="audit-row"') == 0
    form_page = browser.get(f"{VS_URL.format(key=key)}/audit").get_data(as_text=True)
    assert form_page.count('data-testid="audit-row"') == 8  # the form and its 7 items
    csv = browser.get(f"/subjects/{key}/audit.csv")
    body = csv.get_data(as_text=True)
    # every record of the subject, the export itself included (an export is an audited event), plus a header
    every = browser.get(f"/subjects/{key}/audit").get_data(as_text=True).count('data-testid="audit-row"')
    assert csv.mimetype == "text/csv" and body.count("\n") == every + 1 and ",export_audit_csv," in body
    seq, digest = csv.headers["X-Audit-Chain-Head"].split()
    assert int(seq) > 0 and len(digest) == 64 and digest in browser.get(f"/subjects/{key}/audit").get_data(as_text=True)


def test_keyset_pagination(app, world, session):
    from ecrf.casebook import audit_trail as queries

    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    first = queries.page(session, queries.for_subject(subject.key), queries.Filters(), None, size=4)
    second = queries.page(session, queries.for_subject(subject.key), queries.Filters(), first.next_before, size=4)
    assert len(first.rows) == 4 and len(second.rows) == 4
    assert first.rows[-1].seq > second.rows[0].seq


def test_access_control_changes_and_login_failures_are_in_the_trail(app, world, browser):
    from ecrf.infra.extensions import db

    browser.login("coordinator", "wrong password!!")
    with app.app_context():
        actions = {(e.entity, e.action) for e in _events(db.session)}
    assert ("user_account", "create") in actions and ("user_site", "create") in actions
    assert ("site", "create") in actions and ("session", "login_failed") in actions
    with app.app_context():
        created = [e for e in _events(db.session, entity="user_account", action="create")][0]
        assert "[redacted]" in created.new_value and "$argon2" not in created.new_value


def test_legacy_english_and_coded_reasons_both_read_as_words_on_the_page_and_in_the_csv(app, world, as_role):
    import csv
    import io
    import re

    from ecrf.infra.extensions import db

    legacy = "Transcription error: typed 70 for 72 (written before reasons were codes)"
    with app.app_context():
        subject = new_subject(db.session)
        key = subject.key
        legacy_reason_row(db.session, subject, legacy)
    browser = as_role("coordinator")
    browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"})
    browser.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.HR": "91"}), "version": "1",
                                          "reason_code": "QUERY", "reason_note": "Q-7: 血压 re-measured"})
    page = browser.get(f"/subjects/{key}/audit").get_data(as_text=True)
    reasons = [r for r in re.findall(r'<td class="audit-reason">(.*?)</td>', page) if r]
    assert reasons == ["Query response: Q-7: 血压 re-measured", legacy]  # newest first
    assert "&#34;code&#34;" not in page and '"code"' not in page  # no stored JSON shown to a reader

    export = list(csv.DictReader(io.StringIO(browser.get(f"/subjects/{key}/audit.csv").get_data(as_text=True))))
    with_reason = [(r["reason"], r["reason_text"]) for r in export if r["reason"]]
    assert with_reason == [(legacy, legacy), ('{"code":"QUERY","note":"Q-7: 血压 re-measured"}',
                                              "Query response: Q-7: 血压 re-measured")]
    assert all(r["reason_text"] == "" for r in export if not r["reason"])
