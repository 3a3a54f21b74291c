"""Electronic signatures, as services: what is covered and its hash, broken on change, re-authentication, lockout,
the missing-data warning, eligibility as a signature, the read side's statement count."""
from __future__ import annotations

import json

import pytest
from helpers import PASSWORD, confirm_eligible, demographics, new_subject, save, vs_values
from sqlalchemy import event, func, select

from ecrf.errors import AuditBypassError, Forbidden, Refused, SignatureFailed
from ecrf.signatures import coverage, services
from ecrf.signatures.coverage import Scope
from ecrf.signatures.models import Signature

MEANINGS = ("I have reviewed the data of this form", "I approve the data in this casebook as accurate and complete")
FORM = Scope.form("SE.SCREENING", "F.VS")
VISIT = Scope.visit("SE.SCREENING")
BOOK = Scope.casebook()


def _user(session, name="investigator"):
    from ecrf.auth.models import User

    return session.scalar(select(User).where(User.username == name))


def _sign(session, subject, scope=FORM, password=PASSWORD, who="investigator", **kw):
    kw.setdefault("despite_missing", True)
    kw.setdefault("need_username", False)
    row = services.sign(session, _user(session, who), subject, scope, MEANINGS[0], meanings=MEANINGS,
                        password=password, **kw)
    session.commit()
    return row


def _audit(session, action):
    from ecrf.audit.models import AuditEvent

    return session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


@pytest.fixture
def subject(session, world):
    s = new_subject(session)
    save(session, s, "F.VS", vs_values())
    return s


# -- the hash ----------------------------------------------------------------------------------------------------

def test_the_hash_is_stable_and_changes_with_one_value(session, subject):
    forms = coverage.covered_forms(session, subject.id, FORM)
    first = coverage.canonical(forms)
    assert first == coverage.canonical(list(reversed(forms))) == coverage.canonical(
        coverage.covered_forms(session, subject.id, FORM))
    data = json.loads(first)
    # the stored canonical values (a site-local date-time is kept in UTC)
    assert data == [{"form": f"{subject.key}/SE.SCREENING[1]/F.VS[1]",
                     "items": vs_values(**{"I.VS.DTC": "2026-11-20T01:15:00Z"})}]
    assert first == json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    before = coverage.content_hash(session, subject.id, FORM)
    assert len(before) == 64 and before == coverage.content_hash(session, subject.id, FORM)
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "73"}), reason_code="TRANSCRIPTION")
    assert coverage.content_hash(session, subject.id, FORM) != before


def test_a_cleared_value_hashes_as_one_never_entered(session, subject):
    blank = coverage.content_hash(session, subject.id, FORM)
    save(session, subject, "F.VS", vs_values(**{"I.VS.TEMP": "37.0"}), reason_code="TRANSCRIPTION")
    save(session, subject, "F.VS", vs_values(), reason_code="TRANSCRIPTION")
    assert coverage.content_hash(session, subject.id, FORM) == blank


def test_the_casebook_covers_every_form_in_locator_order(session, subject):
    demographics(session, subject)
    keys = [e["form"] for e in json.loads(coverage.canonical(coverage.covered_forms(session, subject.id, BOOK)))]
    assert keys == [f"{subject.key}/SE.SCREENING[1]/F.VS[1]", f"{subject.key}/SE.SUBJECT[1]/F.DM[1]",
                    f"{subject.key}/SE.SUBJECT[1]/F.IC[1]"]  # by event OID, then form OID


# -- signing and breaking ----------------------------------------------------------------------------------------

def test_a_signature_records_name_time_meaning_scope_and_hash(session, subject):
    row = _sign(session, subject)
    assert (row.printed_name, row.meaning, row.scope, row.event_oid, row.form_oid) == (
        "Investigator Person", MEANINGS[0], "form", "SE.SCREENING", "F.VS")
    assert row.signed_at.tzinfo is not None and row.valid and services.verify(session, row)
    assert row.data_hash == coverage.content_hash(session, subject.id, FORM)
    (signed,) = _audit(session, "signed")
    assert signed.entity == "signature" and signed.entity_key == f"{subject.key}/SE.SCREENING[1]/F.VS[1]"
    assert [r.entity for r in _audit(session, "create") if r.entity == "signature"] == ["signature"]


@pytest.mark.parametrize("scope", [FORM, VISIT, BOOK], ids=lambda s: s.kind)
def test_a_change_to_covered_data_breaks_the_signature(session, subject, scope):
    row = _sign(session, subject, scope)
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION")
    session.refresh(row)
    assert not row.valid and row.state == "broken" and not services.verify(session, row)
    assert services.cause(row) == {"form": f"{subject.key}/SE.SCREENING[1]/F.VS[1]", "items": ["I.VS.HR"]}
    again = _sign(session, subject, scope)  # re-signing is a new signature
    assert again.id != row.id and again.valid and services.verify(session, again)
    assert session.scalar(select(func.count()).select_from(Signature)) == 2


def test_a_new_form_in_a_signed_visit_breaks_the_visit_signature_not_a_form_signature(session, subject):
    visit, form = _sign(session, subject, VISIT), _sign(session, subject, FORM)
    save(session, subject, "F.HTWT", {"I.HTWT.HEIGHT": "170"})
    session.refresh(visit), session.refresh(form)
    assert not visit.valid and form.valid


def test_changes_elsewhere_do_not_break_a_visit_signature(session, subject):
    row = _sign(session, subject, VISIT)
    other = new_subject(session)
    save(session, other, "F.VS", vs_values())  # another subject's form
    save(session, subject, "F.VS", vs_values(), event_oid="SE.UNSCHED")  # another visit of the same subject
    session.refresh(row)
    assert row.valid and services.verify(session, row)


def test_a_signature_is_append_only(session, subject):
    row = _sign(session, subject)
    row.meaning = "something else"
    with pytest.raises(AuditBypassError):
        session.flush()
    session.rollback()
    session.delete(row)
    with pytest.raises(AuditBypassError):
        session.flush()
    session.rollback()


def test_unknown_meaning_and_nothing_to_sign_are_refused(session, subject):
    with pytest.raises(Refused, match="meaning"):
        services.sign(session, _user(session), subject, FORM, "I like it", meanings=MEANINGS, password=PASSWORD)
    with pytest.raises(Refused, match="no data to sign"):
        services.sign(session, _user(session), subject, Scope.visit("SE.D1"), MEANINGS[0], meanings=MEANINGS,
                      password=PASSWORD, despite_missing=True)
    session.rollback()


@pytest.mark.parametrize("who", ["coordinator", "monitor", "data_manager", "sponsor", "admin"])
def test_only_an_investigator_signs(session, subject, who):
    with pytest.raises(Forbidden):
        _sign(session, subject, who=who)
    session.rollback()


def test_an_investigator_of_another_site_cannot_sign(session, world):
    other = new_subject(session, "02")
    save(session, other, "F.VS", vs_values())
    with pytest.raises(Forbidden):
        _sign(session, other)
    session.rollback()


# -- re-authentication -------------------------------------------------------------------------------------------

def test_the_first_signing_needs_the_username(session, subject):
    with pytest.raises(SignatureFailed, match="username"):
        _sign(session, subject, need_username=True)
    session.commit()
    with pytest.raises(SignatureFailed, match="not your username"):
        _sign(session, subject, need_username=True, username="coordinator")
    session.commit()
    assert _sign(session, subject, need_username=True, username="investigator").valid
    assert _sign(session, subject).valid  # later: the password only


def test_a_wrong_password_is_audited_counted_and_signs_nothing(session, subject):
    with pytest.raises(SignatureFailed, match="password is wrong"):
        _sign(session, subject, password="wrong")
    session.commit()  # as the unit of work does (keep_audit)
    assert session.scalar(select(func.count()).select_from(Signature)) == 0
    (failed,) = _audit(session, "signature_failed")
    assert failed.entity == "signature" and failed.subject_key == subject.key
    assert _user(session).failed_logins == 1


def test_failed_signings_lock_the_account(session, subject):
    for _ in range(4):
        with pytest.raises(SignatureFailed, match="password is wrong"):
            _sign(session, subject, password="wrong")
        session.commit()
    with pytest.raises(SignatureFailed, match="not your username"):  # a wrong username counts too: the fifth
        _sign(session, subject, username="someone")
    session.commit()
    assert _user(session).locked_until is not None
    with pytest.raises(SignatureFailed, match="locked"):
        _sign(session, subject)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Signature)) == 0
    assert len(_audit(session, "lockout")) == 1


def test_a_second_factor_is_asked_at_every_signing(session, subject):
    import pyotp

    from ecrf.auth import totp

    user = _user(session)
    found = totp.start_enrolment(session, user)
    found.confirmed_at = found.created_at
    session.commit()
    with pytest.raises(SignatureFailed, match="code"):
        _sign(session, subject)
    session.commit()
    with pytest.raises(SignatureFailed, match="code is wrong"):
        _sign(session, subject, code="000000")
    session.commit()
    assert _sign(session, subject, code=pyotp.TOTP(found.secret).now()).valid


# -- missing data ------------------------------------------------------------------------------------------------

def test_signing_over_missing_data_needs_a_confirmation(session, subject):
    save(session, subject, "F.HTWT", {"I.HTWT.HEIGHT": "170"})  # saved incomplete
    missing = services.missing_data(session, subject, VISIT)
    by_form = {m.form_oid: m for m in missing}
    assert by_form["F.HTWT"].status == "incomplete" and by_form["F.HTWT"].items
    assert by_form["F.SLEHX"].status == "not_started" and "F.VS" not in by_form
    assert "F.PREG" not in by_form  # optional
    with pytest.raises(services.MissingData, match="Required data is missing") as refused:
        _sign(session, subject, VISIT, despite_missing=False)
    assert refused.value.missing == missing and refused.value.status == 409
    session.rollback()
    assert services.missing_data(session, subject, FORM) == []
    assert _sign(session, subject, FORM, despite_missing=False).valid
    assert _sign(session, subject, VISIT, despite_missing=True).valid


# -- eligibility -------------------------------------------------------------------------------------------------

def test_eligibility_confirmation_is_a_signature(session, world):
    s = new_subject(session)
    demographics(session, s)
    review = confirm_eligible(session, s)
    sig = review.signature
    assert sig is not None and sig.scope == "eligibility" and sig.meaning == services.ELIGIBILITY_MEANING
    assert sig.printed_name == "Investigator Person" and services.verify(session, sig)
    save(session, s, "F.DM", {"I.DM.BRTHDAT": "1991-05-05", "I.DM.SEX": "M"}, event_oid="SE.SUBJECT",
         reason_code="TRANSCRIPTION")  # the data eligibility was decided on changed
    session.refresh(sig)
    assert not sig.valid
    again = confirm_eligible(session, s).signature
    save(session, s, "F.VS", vs_values(), event_oid="SE.UNSCHED")  # not eligibility data
    session.refresh(again)
    assert again.valid


def test_a_wrong_eligibility_password_signs_nothing(session, world):
    from ecrf.enrolment import services as enrolment

    s = new_subject(session)
    with pytest.raises(SignatureFailed, match="eligibility was not confirmed"):
        enrolment.confirm_eligibility(session, s, _user(session), "wrong", [], None)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Signature)) == 0
    assert [r.entity for r in _audit(session, "signature_failed")] == ["eligibility_review"]


# -- read side ---------------------------------------------------------------------------------------------------

def _count_statements(session, fn):
    seen = []
    engine = session.get_bind()

    def count(*_):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return result, len(seen)


def test_outstanding_and_broken_per_site_in_a_constant_number_of_statements(session, subject):
    from ecrf.auth.models import Site

    site_ids = {session.scalar(select(Site.id).where(Site.code == "01"))}
    book = _sign(session, subject, BOOK)
    out = services.outstanding(session, site_ids)
    assert out == []
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "90"}), reason_code="TRANSCRIPTION")
    session.expire_all()
    out = services.outstanding(session, site_ids)
    assert [(o.subject_key, o.scope, o.event_oid) for o in out] == [
        (subject.key, "casebook", None), (subject.key, "visit", "SE.SCREENING")]
    assert [s.id for s in services.broken(session, site_ids)] == [book.id]
    session.expire_all()
    _, few = _count_statements(session, lambda: (services.outstanding(session, site_ids),
                                                 services.broken(session, site_ids)))
    for _ in range(3):
        other = new_subject(session)
        save(session, other, "F.VS", vs_values())
        _sign(session, other, FORM)
        save(session, other, "F.VS", vs_values(**{"I.VS.HR": "99"}), reason_code="TRANSCRIPTION")
    session.expire_all()
    (out, broken), many = _count_statements(session, lambda: (services.outstanding(session, site_ids),
                                                              services.broken(session, site_ids)))
    assert len(broken) == 4 and len({o.subject_key for o in out}) == 4
    assert many == few
    assert services.outstanding(session, set()) == [] and services.broken(session, set()) == []
    _sign(session, subject, BOOK)
    assert [s.id for s in services.broken(session, site_ids)] != [] and book.id not in [
        s.id for s in services.broken(session, site_ids)]
