"""Safety notifications: each trigger queues exactly one mail per recipient in the save's transaction, once per
event, and the outbox worker delivers it to a real SMTP server (tests/mail_server.py)."""
from __future__ import annotations

import pytest
from helpers import new_subject, save
from safety_helpers import ae, safety_recipients, save_ae, serious
from sqlalchemy import func, select

SAFETY = "safety@sponsor.example"


@pytest.fixture
def recipients(app):
    with safety_recipients(SAFETY):
        yield SAFETY


def _mails(session, kind="safety"):
    from ecrf.mail.models import OutboxMessage

    session.expire_all()
    return session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)).all()


def _notifications(session):
    from ecrf.safety.models import SafetyNotification

    return [(n.kind, n.form.form_oid) for n in session.scalars(select(SafetyNotification)
                                                                .order_by(SafetyNotification.id))]


def test_a_new_sae_is_mailed_once_and_an_edit_does_not_mail_it_again(session, world, recipients):
    subject = new_subject(session)
    save_ae(session, subject, serious())
    [mail] = _mails(session)
    assert mail.recipient == SAFETY and "New serious adverse event" in mail.subject
    assert subject.key in mail.subject and "Requires or prolongs in-patient hospitalisation" in mail.body
    assert "Febrile neutropenia" not in mail.body and "2026-11-12" not in mail.body  # no free text, no dates
    save_ae(session, subject, serious(**{"I.AE.TOXGR": "4"}), reason_code="TRANSCRIPTION")
    assert len(_mails(session)) == 1
    assert _notifications(session) == [("sae", "F.AE")]


def test_an_event_turned_serious_is_mailed_then_and_once(session, world, recipients):
    subject = new_subject(session)
    save_ae(session, subject, ae())
    assert _mails(session) == []
    save_ae(session, subject, serious(), reason_code="TRANSCRIPTION")
    assert len(_mails(session)) == 1
    save_ae(session, subject, ae(), reason_code="TRANSCRIPTION")  # back to not serious ...
    save_ae(session, subject, serious(), reason_code="TRANSCRIPTION")  # ... and serious again: the same SAE
    assert len(_mails(session)) == 1


def test_a_dlt_a_positive_pregnancy_test_and_crs_icans_grade_3_each_queue_one_mail(session, world, recipients):
    subject = new_subject(session)
    save_ae(session, subject, ae(**{"I.AE.DLT": "true", "I.AE.TOXGR": "3"}))
    assert [m.subject.split(": ", 1)[1] for m in _mails(session)] == [f"Dose-limiting toxicity, subject {subject.key}"]
    save(session, subject, "F.PREG", {"I.PREG.DTC": "2026-11-20T09:00", "I.PREG.SPEC": "SERUM", "I.PREG.RES": "POS"},
         event_oid="SE.D28")
    assert "Positive pregnancy test" in _mails(session)[-1].subject and len(_mails(session)) == 2
    crs = {"I.CRS.DTC": "2026-11-05T08:00", "I.CRS.TEMP": "39.2", "I.CRS.FEVEROTH": "false", "I.CRS.ANTIPYR": "false",
           "I.CRS.HYPOTYN": "false", "I.CRS.SBPMIN": "118", "I.CRS.O2DEV": "none"}
    form = save(session, subject, "F.CRS", crs, event_oid="SE.D2")
    assert form.values["I.CRS.GRADE"] == "1" and len(_mails(session)) == 2  # below grade 3: nothing
    # grade 3 by the oxygen component: a nasal cannula above 6 L/min is high flow
    form = save(session, subject, "F.CRS", {**crs, "I.CRS.O2DEV": "nasal_cannula", "I.CRS.O2FLOW": "10"},
                event_oid="SE.D3")
    assert int(form.values["I.CRS.GRADE"]) >= 3
    assert "CRS grade" in _mails(session)[-1].subject and len(_mails(session)) == 3
    # the ICE is graded for participants of the cut-off age and over: the date of birth is read
    save(session, subject, "F.DM", {"I.DM.BRTHDAT": "1990-01-01", "I.DM.SEX": "M", "I.DM.ETHNIC": "NOT REPORTED"},
         event_oid="SE.SUBJECT")
    icans = {"I.ICANS.DTC": "2026-11-06T08:00", "I.ICANS.TOOL": "ICE", "I.ICANS.ICEORIENT": "1",
             "I.ICANS.ICEOBJECTS": "1", "I.ICANS.ICECMD": "0", "I.ICANS.ICEWRITE": "0", "I.ICANS.ICEATTN": "0",
             "I.ICANS.LOC": "normal", "I.ICANS.SEIZ": "none", "I.ICANS.MOTOR": "none", "I.ICANS.ICP": "none"}
    form = save(session, subject, "F.ICANS", icans, event_oid="SE.D4")
    assert int(form.values["I.ICANS.GRADE"]) >= 3  # ICE 2: grade 3
    assert "ICANS grade" in _mails(session)[-1].subject and len(_mails(session)) == 4
    assert sorted(k for k, _ in _notifications(session)) == ["crs_grade3", "dlt", "icans_grade3", "pregnancy"]


def test_one_mail_per_recipient_and_none_without_recipients(session, world):
    subject = new_subject(session)
    with safety_recipients():
        save_ae(session, subject, serious())
    assert _mails(session) == [] and _notifications(session) == [("sae", "F.AE")]  # recorded, nobody to mail
    with safety_recipients("a@sponsor.example", "b@cro.example"):
        save_ae(session, subject, serious(), repeat=2)
    assert sorted(m.recipient for m in _mails(session)) == ["a@sponsor.example", "b@cro.example"]


def test_a_refused_save_queues_nothing(session, world, recipients):
    from ecrf.errors import Invalid
    from ecrf.mail.models import OutboxMessage

    subject = new_subject(session)
    with pytest.raises(Invalid):
        save_ae(session, subject, serious(**{"I.AE.SHOSP": "N"}))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_bad_recipient_stops_start_up():
    from ecrf.safety.notifications import parse_recipients

    assert parse_recipients(" a@x.org, b@y.org ,a@x.org") == ("a@x.org", "b@y.org")
    with pytest.raises(ValueError, match="SAFETY_MAIL_TO"):
        parse_recipients("a@x.org, not-an-address")


def test_the_outbox_delivers_the_sae_mail_to_the_smtp_server(session, world, recipients, smtp_server):
    from ecrf.mail.smtp import SmtpSettings
    from ecrf.mail.worker import Policy, deliver

    subject = new_subject(session)
    save_ae(session, subject, serious())
    settings = SmtpSettings(host="127.0.0.1", port=smtp_server.port, sender="ecrf@trial.example", timeout=5)
    [mid] = deliver(session, settings, Policy()).sent
    [mail] = smtp_server.messages
    assert mail["To"] == SAFETY and "New serious adverse event" in mail["Subject"]
    assert f"Subject: {subject.key} (site 01)" in mail.get_content()
    assert deliver(session, settings, Policy()).sent == [] and len(smtp_server.messages) == 1
    assert _mails(session)[0].id == mid and _mails(session)[0].status == "sent"


def test_the_mail_waits_in_the_outbox_while_the_server_is_down(session, world, recipients, smtp_down):
    from ecrf.mail.smtp import SmtpSettings
    from ecrf.mail.worker import Policy, deliver

    subject = new_subject(session)
    save_ae(session, subject, ae(**{"I.AE.DLT": "true"}))
    settings = SmtpSettings(host="127.0.0.1", port=smtp_down.port, sender="ecrf@trial.example", timeout=5)
    assert len(deliver(session, settings, Policy()).retrying) == 1
    assert _mails(session)[0].status == "queued"


def test_a_crs_grade_reaching_3_by_recalculation_is_mailed_once(session, world, recipients):
    """Day 2: afebrile with one vasopressor, grade 0 while day 1 reads no fever. Correcting day 1's temperature to
    a fever recomputes day 2 (fever earlier in the episode): grade 3, mailed though day 2 was never saved again."""
    subject = new_subject(session)
    day = {"I.CRS.FEVEROTH": "false", "I.CRS.ANTIPYR": "false", "I.CRS.VASOPRSN": "false", "I.CRS.O2DEV": "none",
           "I.CRS.DEATH": "false"}
    save(session, subject, "F.CRS", {**day, "I.CRS.DTC": "2026-11-05T08:00", "I.CRS.TEMP": "37.6",
                                     "I.CRS.HYPOTYN": "false", "I.CRS.SBPMIN": "118", "I.CRS.VASOCNT": "0"},
         event_oid="SE.D1")
    later = save(session, subject, "F.CRS", {**day, "I.CRS.DTC": "2026-11-06T08:00", "I.CRS.TEMP": "37.2",
                                             "I.CRS.HYPOTYN": "true", "I.CRS.SBPMIN": "78", "I.CRS.VASOCNT": "1"},
                 event_oid="SE.D2")
    assert later.values["I.CRS.GRADE"] == "0" and _mails(session) == []
    save(session, subject, "F.CRS", {**day, "I.CRS.DTC": "2026-11-05T08:00", "I.CRS.TEMP": "38.6",
                                     "I.CRS.HYPOTYN": "false", "I.CRS.SBPMIN": "118", "I.CRS.VASOCNT": "0"},
         event_oid="SE.D1", reason_code="TRANSCRIPTION")
    session.expire_all()
    assert later.values["I.CRS.GRADE"] == "3"
    assert [m.subject.split(": ", 1)[1] for m in _mails(session)] == [f"CRS grade 3, subject {subject.key}"]
    # a further recalculation that keeps grade 3 mails nothing more
    save(session, subject, "F.CRS", {**day, "I.CRS.DTC": "2026-11-05T08:00", "I.CRS.TEMP": "38.9",
                                     "I.CRS.HYPOTYN": "false", "I.CRS.SBPMIN": "118", "I.CRS.VASOCNT": "0"},
         event_oid="SE.D1", reason_code="TRANSCRIPTION")
    assert len(_mails(session)) == 1
