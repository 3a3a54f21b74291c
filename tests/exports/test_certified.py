"""The certified-copy check: a sealed casebook copy against the data today, what changed named by label and
old -> new; `ecrf verify-casebook` exits 0 (certified), 1 (altered, unsealed or changed), 2 (unreadable)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import PASSWORD, demographics, new_subject, save, vs_values
from sealing import append_update, casebook_copy, flip_in_content_stream, tiny_pdf
from sqlalchemy import select

from ecrf.audit.models import AuditEvent
from ecrf.auth.models import User
from ecrf.casebook import record
from ecrf.cli import main
from ecrf.exports import certified, seal
from ecrf.signatures import services as signatures
from ecrf.signatures.coverage import Scope
from ecrf.study.codec import display
from ecrf.study.definition import load

HR = "SE.SCREENING[1]/F.VS[1]/I.VS.HR"


@pytest.fixture
def identity(app):
    return seal.ensure_identity(app.instance_path)


@pytest.fixture
def subject(session, world):
    s = new_subject(session)
    save(session, s, "F.VS", vs_values())
    return s


def _label(location: str) -> str:
    return load().items[location.rsplit("/", 1)[1]].label


def test_an_unchanged_subject_matches(session, subject, identity):
    copy = casebook_copy(session, subject, identity)
    report = certified.check(session, copy, identity)
    assert report.ok and report.matches and report.seal.ok
    assert report.differences == ()
    assert (report.subject, report.site, report.role) == (subject.key, "01", "data_manager")
    expected = record.content_hash(record.content(record.build(session, subject, "data_manager")))
    assert report.exported_hash == report.today_hash == expected


def test_a_value_changed_through_the_save_service_is_named(session, subject, identity):
    copy = casebook_copy(session, subject, identity)
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION")
    report = certified.check(session, copy, identity)
    assert report.seal.ok and not report.matches and not report.ok
    assert report.exported_hash != report.today_hash
    [difference] = report.differences
    item = load().items["I.VS.HR"]
    assert difference.location == HR
    assert difference.label.endswith(f"/ {item.label}") and "Vital signs" in difference.label
    tz = subject.site.zone
    assert (difference.before, difference.after) == (display(item, "72", tz), display(item, "80", tz))
    assert str(difference) == f"{difference.label} ({HR}): {display(item, '72', tz)} -> {display(item, '80', tz)}"


def test_values_added_and_removed_and_signatures_broken_or_added(session, subject, identity):
    investigator = session.scalar(select(User).where(User.username == "investigator"))
    meanings = ("I have reviewed the data of this form",)

    def sign(scope):
        row = signatures.sign(session, investigator, subject, scope, meanings[0], meanings=meanings,
                              password=PASSWORD, despite_missing=True)
        session.commit()
        return row

    form_signature = sign(Scope.form("SE.SCREENING", "F.VS"))
    copy = casebook_copy(session, subject, identity)
    values = vs_values()
    del values["I.VS.RESP"]  # cleared: the value is removed
    save(session, subject, "F.VS", values, reason_code="TRANSCRIPTION")  # breaks the form's signature
    demographics(session, subject)  # new values
    later = sign(Scope.form("SE.SUBJECT", "F.DM"))

    report = certified.check(session, copy, identity)
    assert not report.matches
    by_location = {d.location: d for d in report.differences}
    resp = by_location.pop("SE.SCREENING[1]/F.VS[1]/I.VS.RESP")
    assert resp.after == certified.NOTHING and "16" in resp.before and _label(resp.location) in resp.label
    added = {k: v for k, v in by_location.items() if k.startswith("SE.SUBJECT[1]/F.DM[1]/")}
    assert {"SE.SUBJECT[1]/F.DM[1]/I.DM.BRTHDAT", "SE.SUBJECT[1]/F.DM[1]/I.DM.SEX"} <= added.keys()
    assert all(d.before == certified.NOTHING for d in added.values())
    broken = by_location[f"signature {form_signature.id}"]
    assert (broken.before, broken.after) == ("holds", "no longer holds") and meanings[0] in broken.label
    new = by_location[f"signature {later.id}"]
    assert (new.before, new.after) == (certified.NOTHING, "holds")
    assert set(by_location) == set(added) | {f"signature {form_signature.id}", f"signature {later.id}"}


def test_an_altered_copy_is_compared_as_it_was_sealed(session, subject, identity):
    copy = casebook_copy(session, subject, identity)
    report = certified.check(session, append_update(copy), identity)
    assert report.matches and not report.seal.intact and not report.ok


def test_what_carries_no_casebook_content_is_unreadable(session, subject, identity):
    with pytest.raises(seal.Unreadable, match="not a PDF"):
        certified.check(session, b"plain text", identity)
    with pytest.raises(seal.Unreadable, match="no casebook content"):
        certified.check(session, seal.seal_pdf(tiny_pdf(), identity), identity)
    wrong = seal.seal_pdf(tiny_pdf(), identity, attachments={seal.CONTENT_NAME: b'{"version": 99}'})
    with pytest.raises(seal.Unreadable, match="layout version 99"):
        certified.check(session, wrong, identity)


def test_a_subject_this_database_does_not_hold(session, subject, identity):
    content = record.content(record.build(session, subject, "sponsor"))
    content["subject"] = "09-S999"
    copy = seal.seal_pdf(tiny_pdf(), identity, attachments={seal.CONTENT_NAME: record.canonical(content)})
    report = certified.check(session, copy, identity)
    assert not report.matches and report.today_hash is None and report.role == "sponsor"
    assert [str(d) for d in report.differences] == ["Subject (subject): 09-S999 -> not in this database"]


# -- ecrf verify-casebook ----------------------------------------------------------------------------------------

@pytest.fixture
def verify(app, db_url, monkeypatch, tmp_path):
    """Run `ecrf verify-casebook` on bytes, against the test's database and instance folder (its seal)."""
    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("ECRF_SECRET_KEY", "cli-test")

    def run(data: bytes, name: str = "copy.pdf"):
        path = tmp_path / name
        path.write_bytes(data)
        return CliRunner().invoke(main, ["verify-casebook", str(path)])
    return run


def _verifications(session) -> list[dict]:
    session.rollback()
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "casebook_verified")
                           .order_by(AuditEvent.seq)).all()
    return [{"subject": r.subject_key, "user": r.username, **json.loads(r.new_value)} for r in rows]


def test_verify_casebook_exit_codes_for_a_certified_copy_and_an_outdated_or_altered_one(session, subject, identity,
                                                                                          verify):
    copy = casebook_copy(session, subject, identity)
    certified_copy = verify(copy)
    assert certified_copy.exit_code == 0, certified_copy.output
    assert "sealed by ecrf system seal" in certified_copy.output and identity.fingerprint in certified_copy.output
    assert "the file is intact" in certified_copy.output and "matches the data today" in certified_copy.output

    altered = verify(flip_in_content_stream(copy)[0])
    assert altered.exit_code == 1 and "the file was altered after sealing" in altered.output
    assert "matches the data today" in altered.output  # the content itself was not touched
    unsealed = verify(seal.seal_pdf(tiny_pdf(), None, attachments={seal.CONTENT_NAME: seal.attachment(
        copy, seal.CONTENT_NAME)}))
    assert unsealed.exit_code == 1 and "not sealed" in unsealed.output

    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION")
    changed = verify(copy)
    assert changed.exit_code == 1 and "the file is intact" in changed.output
    assert "no longer matches the data today; 1 change(s)" in changed.output
    item = load().items["I.VS.HR"]
    tz = subject.site.zone
    assert f"{item.label} ({HR}): {display(item, '72', tz)} -> {display(item, '80', tz)}" in changed.output

    audited = _verifications(session)
    assert [(a["matches"], a["intact"], a["signed"]) for a in audited] == [
        (True, True, True), (True, False, True), (True, False, False), (False, True, True)]
    assert all(a["subject"] == subject.key and a["user"].startswith("cli:") for a in audited)
    assert audited[3]["differences"] == 1 and audited[3]["exported_hash"] != audited[3]["today_hash"]


def test_verify_casebook_cannot_read_what_is_no_casebook(session, subject, identity, verify):
    not_pdf = verify(b"name,value\n", "data.csv")
    assert not_pdf.exit_code == 2 and "not a PDF" in not_pdf.output
    no_content = verify(seal.seal_pdf(tiny_pdf(), identity))
    assert no_content.exit_code == 2 and "no casebook content" in no_content.output
    assert [(a["readable"], a["subject"]) for a in _verifications(session)] == [(False, None), (False, None)]
