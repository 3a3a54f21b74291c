"""The SAE list (web /safety/saes, API GET /api/v1/saes): each SAE's due times in UTC and site time with the clock
stopped, the reports recorded on the SAE report log, overdue and due-soon flags, each reader's own sites only, and
one SQL statement whatever the number of SAEs. The DLTs on the dose-level page, in statements that do not grow."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from helpers import enrolled_subject, new_subject
from safety_helpers import ae, infuse, save_ae, serious
from sqlalchemy import event, select

from ecrf.safety import clocks

AWARE_UTC = datetime(2026, 11, 12, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai (site 01)


def _report(session, subject, repeat: int, type_: str, sent: str, ae_no: int = 1, recipient: str = "SPONSOR"):
    from helpers import ctx

    from ecrf.capture import services

    target = services.resolve(subject, "SE.SUBJECT", "F.SAERPT", 1, repeat)
    services.save_form(session, target, {"I.SAERPT.AENO": str(ae_no), "I.SAERPT.TYPE": type_,
                                         "I.SAERPT.SENTDTC": sent, "I.SAERPT.RECIP": recipient},
                       version=0, user_id=None, ctx=ctx())
    session.commit()


@pytest.fixture
def frozen(monkeypatch):
    """Stop the pages' clock at ``frozen(moment)``."""
    from ecrf.api import safety as api_safety
    from ecrf.web import safety as web_safety

    def stop(moment: datetime) -> None:
        monkeypatch.setattr(web_safety, "utcnow", lambda: moment)
        monkeypatch.setattr(api_safety, "utcnow", lambda: moment)
    return stop


def _api(app, token_of, who):
    return app.test_client().get("/api/v1/saes", headers={"Authorization": f"Bearer {token_of[who]}"})


@pytest.fixture
def token_of(app, world):
    from helpers import tokens_for_everyone

    return tokens_for_everyone(app)


def _sae(session):
    subject = new_subject(session)
    save_ae(session, subject, serious())  # possibly related, unexpected, hospitalised: a SUSAR, 15 days
    return subject


def _keys(result):
    """Subjects as their keys (``.key``), so nothing detached is read after the set-up's session is gone."""
    from types import SimpleNamespace

    from ecrf.subjects.models import Subject

    if isinstance(result, tuple):
        return tuple(_keys(r) for r in result)
    return SimpleNamespace(key=result.key) if isinstance(result, Subject) else result


@pytest.fixture
def setup(app, world):
    """``setup(fn)`` runs ``fn(session)`` in an app context of its own (the pages' requests get theirs), committed;
    returns what it returns, detached."""
    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db

    def run(fn):
        with app.app_context():
            set_actor(db.session, Actor(None, "test-setup", "system"))
            result = fn(db.session)
            db.session.commit()
            result = _keys(result)
            db.session.remove()
        return result
    return run


def test_due_times_in_utc_and_site_time_and_the_24_hour_flags(app, setup, as_role, frozen, token_of):
    subject = setup(_sae)
    coordinator = as_role("coordinator")
    frozen(datetime(2026, 11, 12, 20, 30, tzinfo=timezone.utc))  # 18 h 30 after awareness: under 6 h left
    page = coordinator.get("/safety/saes").get_data(as_text=True)
    assert f'data-testid="sae-{subject.key}-1" data-state="due_soon"' in page
    assert "2026-11-13 02:00 UTC" in page and "2026-11-13 10:00" in page  # due: UTC and the site's time
    assert 'data-testid="clock-INITIAL" data-state="due_soon"' in page
    assert 'data-testid="clock-SUSAR" data-state="open"' in page and "2026-11-27 02:00 UTC" in page
    response = _api(app, token_of, "coordinator")
    body = response.json
    assert response.status_code == 200, response.get_data(as_text=True)
    [sae] = body["saes"]
    assert sae["subject"] == subject.key and sae["awareness"] == "2026-11-12T02:00:00Z" and sae["susar"]
    assert [(c["type"], c["due"], c["state"]) for c in sae["clocks"]] == [
        ("INITIAL", "2026-11-13T02:00:00Z", "due_soon"), ("SUSAR", "2026-11-27T02:00:00Z", "open")]
    assert "+08:00" in sae["clocks"][0]["due_site"]

    frozen(datetime(2026, 11, 13, 2, 1, tzinfo=timezone.utc))  # one minute past the 24 hours
    assert 'data-testid="clock-INITIAL" data-state="overdue"' in coordinator.get("/safety/saes").get_data(as_text=True)
    assert _api(app, token_of, "coordinator").json["saes"][0]["state"] == "overdue"


def test_reports_recorded_on_the_log_stop_their_clocks(app, setup, as_role, frozen, token_of):
    def data(session):
        subject = _sae(session)
        _report(session, subject, 1, clocks.INITIAL, "2026-11-13T09:00")  # 23 h after awareness (Shanghai times)
        _report(session, subject, 2, clocks.SUSAR, "2026-11-28T11:00", recipient="AUTHORITY")  # 16 days: late
        _report(session, subject, 3, clocks.INITIAL, "2026-11-12T11:00", ae_no=2)  # another AE's: not this one's

    setup(data)
    frozen(datetime(2026, 12, 1, tzinfo=timezone.utc))
    [sae] = _api(app, token_of, "investigator").json["saes"]
    assert [(c["type"], c["sent"], c["state"]) for c in sae["clocks"]] == [
        ("INITIAL", "2026-11-13T01:00:00Z", "sent"), ("SUSAR", "2026-11-28T03:00:00Z", "sent_late")]
    assert [(r["type"], r["recipient"], r["form_repeat"]) for r in sae["reports"]] == [
        ("INITIAL", "SPONSOR", 1), ("SUSAR", "AUTHORITY", 2)]
    page = as_role("investigator").get("/safety/saes").get_data(as_text=True)
    assert "sent late 2026-11-28 03:00 UTC" in page
    assert "SUSAR expedited report to Regulatory authority: 2026-11-28 03:00 UTC" in page


def test_a_fatal_susar_gets_7_days_and_a_follow_up_and_new_information_a_follow_up(app, setup, frozen, token_of):
    def data(session):
        subject = new_subject(session)
        save_ae(session, subject, serious(**{"I.AE.SLIFE": "Y", "I.AE.NEWINFODTC": "2026-11-20T10:00"}))
        return subject

    subject = setup(data)
    frozen(datetime(2026, 11, 12, 3, tzinfo=timezone.utc))
    [sae] = _api(app, token_of, "monitor").json["saes"]
    assert sae["fatal_or_life_threatening"] and sae["subject"] == subject.key
    assert [(c["type"], c["due"]) for c in sae["clocks"]] == [
        ("INITIAL", "2026-11-13T02:00:00Z"), ("SUSAR", "2026-11-19T02:00:00Z"),
        ("SUSAR_FU", "2026-11-27T02:00:00Z"), ("FOLLOWUP", "2026-12-05T02:00:00Z")]


def test_a_serious_event_without_awareness_is_listed_and_flagged(app, setup, as_role):
    def data(session):
        subject = new_subject(session)
        save_ae(session, subject, {k: v for k, v in serious().items() if k != "I.AE.AWAREDTC"})
        return subject

    subject = setup(data)
    page = as_role("coordinator").get("/safety/saes").get_data(as_text=True)
    assert f'data-testid="sae-{subject.key}-1" data-state="no_awareness"' in page and "awareness not recorded" in page


def test_each_reader_sees_the_saes_of_their_own_sites(app, setup, as_role, token_of):
    def data(session):
        ours, theirs = _sae(session), new_subject(session, "02")
        save_ae(session, theirs, serious(**{"I.AE.TERM": "Pneumonia"}))
        save_ae(session, new_subject(session), ae())  # not serious: not listed
        return ours, theirs

    ours, theirs = setup(data)
    for who in ("investigator", "coordinator", "monitor", "data_manager", "sponsor"):
        listed = [s["subject"] for s in _api(app, token_of, who).json["saes"]]
        assert listed == [ours.key], who
    assert [s["subject"] for s in _api(app, token_of, "coordinator2").json["saes"]] == [theirs.key]
    other_site = as_role("coordinator2").get("/safety/saes").get_data(as_text=True)
    assert "Pneumonia" in other_site and ours.key not in other_site and "Febrile neutropenia" not in other_site
    assert _api(app, token_of, "admin").status_code == 403
    assert as_role("admin").get("/safety/saes").status_code == 403
    assert 'data-testid="nav-saes"' in as_role("sponsor").get("/dashboard").get_data(as_text=True)


def _statements(session, fn) -> tuple[object, int]:
    seen = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, len(seen)


def test_the_list_is_one_statement_whatever_the_number_of_saes(session, world):
    from ecrf.auth.models import Site
    from ecrf.safety.saes import list_saes

    site_ids = {session.scalar(select(Site.id).where(Site.code == "01"))}
    subject = _sae(session)
    _report(session, subject, 1, clocks.INITIAL, "2026-11-12T20:00")
    session.expire_all()
    rows, one = _statements(session, lambda: list_saes(session, site_ids, "monitor"))
    assert len(rows) == 1 and one == 1
    for n in range(4):
        other = _sae(session)
        save_ae(session, other, serious(), repeat=2)
        _report(session, other, 1, clocks.INITIAL, "2026-11-12T20:00", ae_no=2)
    session.expire_all()
    rows, many = _statements(session, lambda: list_saes(session, site_ids, "monitor"))
    assert len(rows) == 9 and many == one == 1
    assert sum(1 for r in rows if r.clocks[0].sent) == 5


def test_the_dose_level_page_shows_each_levels_dlts_in_statements_that_do_not_grow(app, setup, as_role):
    from ecrf.infra.extensions import db

    def data(session):
        first = enrolled_subject(session)
        infuse(session, first, "2026-11-03T10:00")
        save_ae(session, first, ae(**{"I.AE.TERM": "Grade 4 neutropenia", "I.AE.TOXGR": "4", "I.AE.DLT": "true"}))
        return first

    first = setup(data)
    monitor = as_role("monitor")

    def page():
        return monitor.get("/dose-levels").get_data(as_text=True)

    def count():
        seen = []
        listener = lambda *a: seen.append(a[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                html = page()
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return html, len(seen)

    html, one = count()
    assert '<tr data-testid="dlt-level-1"><td>1</td><td>1</td><td>1</td><td>1</td></tr>' in html
    assert f'data-testid="dlt-{first.key}-1"' in html and "Grade 4 neutropenia" in html
    assert f'data-testid="subject-dlts-{first.key}">#1 grade 4<' in html
    def more(session):
        for _ in range(3):
            other = enrolled_subject(session)
            save_ae(session, other, ae(**{"I.AE.DLT": "true", "I.AE.TOXGR": "3"}))
            save_ae(session, other, ae(**{"I.AE.DLT": "true", "I.AE.TOXGR": "3"}), repeat=2)

    setup(more)
    html, many = count()
    assert '<tr data-testid="dlt-level-1"><td>1</td><td>4</td><td>4</td><td>7</td></tr>' in html
    assert many == one
    elsewhere = as_role("coordinator2").get("/dose-levels").get_data(as_text=True)
    assert '<td>4</td><td>7</td>' in elsewhere and "Grade 4 neutropenia" not in elsewhere  # counts, not details
