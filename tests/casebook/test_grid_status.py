"""The casebook grid shows each form's status (web page and JSON API) for a subject set up through the real
services: saved, verified by the monitor, signed by the investigator, frozen and locked by the data manager; and
the page's statement count does not grow with the number of stored forms."""
from __future__ import annotations

import re

import pytest
from helpers import PASSWORD, new_subject, save, vs_values
from sqlalchemy import event, select

from ecrf.casebook.status import ICONS, STATUSES

API = "/api/v1"
MEANING = "I have reviewed the data of this form"
#: (event, form) -> the status the set-up below gives it
EXPECTED = {
    ("SE.SCREENING", "F.VS"): "verified",
    ("SE.PRELD", "F.VS"): "signed",
    ("SE.D1", "F.VS"): "frozen",
    ("SE.D2", "F.VS"): "locked",
    ("SE.D3", "F.VS"): "complete",
    ("SE.SCREENING", "F.CHEM"): "in_progress",
    ("SE.D28", "F.VS"): "not_started",
}


def _user(session, name):
    from ecrf.auth.models import User

    return session.scalar(select(User).where(User.username == name))


def _as(session, user):
    from ecrf.audit.context import Actor, set_actor

    set_actor(session, Actor.of(user))


def _stored(session, subject, event_oid, form_oid="F.VS"):
    from ecrf.capture import services as capture

    t = capture.resolve(subject, event_oid, form_oid)
    return t, capture.find_form(session, t)


def _set_up(session, subject):
    from ecrf.capture import locks
    from ecrf.sdv import services as sdv
    from ecrf.signatures import services as signatures
    from ecrf.signatures.coverage import Scope

    for event_oid in ("SE.SCREENING", "SE.PRELD", "SE.D1", "SE.D2", "SE.D3"):
        save(session, subject, "F.VS", vs_values(), event_oid=event_oid)
    save(session, subject, "F.CHEM", {"I.CHEM.DTC": "2026-11-02"})

    monitor = _user(session, "monitor")
    _as(session, monitor)
    t, form = _stored(session, subject, "SE.SCREENING")
    sdv.verify_form(session, form, subject, t.form, monitor)
    session.commit()

    investigator = _user(session, "investigator")
    _as(session, investigator)
    signatures.sign(session, investigator, subject, Scope.form("SE.PRELD", "F.VS"), MEANING, meanings=(MEANING,),
                    password=PASSWORD, despite_missing=True)
    session.commit()

    manager = _user(session, "data_manager")
    _as(session, manager)
    for event_oid, level in (("SE.D1", "frozen"), ("SE.D2", "locked")):
        locks.close(session, manager, scope="form", level=level, reason="review", subject=subject,
                    event_oid=event_oid, form_oid="F.VS")
    session.commit()


@pytest.fixture
def key(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        from ecrf.audit.context import Actor, set_actor

        set_actor(db.session, Actor(None, "test", "system"))
        subject = new_subject(db.session)
        _set_up(db.session, subject)
        out = subject.key
        db.session.remove()
    return out


def _page_cells(page: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(event, form) -> (class status, the cell's text) of the rendered grid."""
    out = {}
    for status, event_oid, form_oid, body in re.findall(
            r'<td class="cell-(\w+)" data-testid="cell-(SE\.[\w.]+?)-(F\.\w+)">(.*?)</td>', page, re.S):
        # the symbol is hidden from screen readers: the word is the cell's text
        assert f'<span class="cell-icon" aria-hidden="true">{ICONS[status]}</span>' in body
        body = re.sub(r'<span class="cell-icon" aria-hidden="true">.</span>', "", body)
        out[(event_oid, form_oid)] = (status, re.sub(r"<[^>]+>|\s+", " ", body).strip())
    return out


def test_the_web_grid_shows_each_status_with_a_colour_and_a_word(app, as_role, key):
    page = as_role("coordinator").get(f"/subjects/{key}").get_data(as_text=True)
    cells = _page_cells(page)
    for place, status in EXPECTED.items():
        assert cells[place][0] == status, place
        assert cells[place][1].startswith(status.replace("_", " ")), cells[place]  # not by colour alone
    assert set(STATUSES) <= {s for s, _ in cells.values()}
    # the badges beside the word: SDV done on the verified form, "signed" under the freeze of a signed form
    assert "SDV \u2713" in cells[("SE.SCREENING", "F.VS")][1]
    assert "SDV" not in cells[("SE.D3", "F.VS")][1] or "SDV 0/" in cells[("SE.D3", "F.VS")][1]
    legend = page[page.index('data-testid="casebook-legend"'):]
    legend = legend[:legend.index("</p>")]
    for status in STATUSES:
        assert f'class="badge cell-{status} text-dark"' in legend and status.replace("_", " ") in legend
    assert "incomplete" not in legend
    assert page.count(">Audit trail<") == 1


def test_the_api_casebook_gives_the_same_statuses(app, key):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test", "system"))
        token = issue(db.session, _user(db.session, "monitor"))[1]
        db.session.commit()
        db.session.remove()
    reply = app.test_client().get(API + f"/subjects/{key}/casebook", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.json
    cells = {(c["event_oid"], cell["form_oid"]): cell["status"] for c in reply.json["columns"] if c["repeat"] == 1
             for cell in c["cells"]}
    assert {place: cells[place] for place in EXPECTED} == EXPECTED
    assert set(cells.values()) <= set(STATUSES)


def test_a_change_breaks_the_signature_and_resets_sdv_in_the_grid(session, world):
    from ecrf.casebook import grid
    from ecrf.study.definition import load

    subject = new_subject(session)
    _set_up(session, subject)

    def cells():
        built = grid.build(session, load(), subject)
        return {(c.event.oid, oid): cell.status for c in built.columns for oid, cell in c.cells.items()}

    assert {p: cells()[p] for p in EXPECTED} == EXPECTED
    from ecrf.audit.context import Actor, set_actor

    set_actor(session, Actor(None, "test", "system"))
    for event_oid in ("SE.SCREENING", "SE.PRELD"):
        save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "81"}), event_oid=event_oid,
             reason_code="TRANSCRIPTION")
    after = cells()
    assert after[("SE.SCREENING", "F.VS")] == "complete"  # the changed item is no longer verified
    assert after[("SE.PRELD", "F.VS")] == "complete"  # the signature is broken


def test_a_plan_requiring_nothing_never_shows_verified(session, world):
    from ecrf.auth.models import Site
    from ecrf.casebook import grid
    from ecrf.sdv import services as sdv
    from ecrf.study.definition import load

    subject = new_subject(session)
    _set_up(session, subject)
    manager = _user(session, "data_manager")
    _as(session, manager)
    sdv.set_plan(session, session.scalar(select(Site).where(Site.code == "01")), 0, "none", manager)
    session.commit()
    built = grid.build(session, load(), subject)
    screening = next(c for c in built.columns if c.event.oid == "SE.SCREENING")
    assert screening.cells["F.VS"].status == "complete"


# -- statement count -------------------------------------------------------------------------------------------------

def _count(app, browser, url):
    from ecrf.infra.extensions import db

    seen = []
    with app.app_context():
        listener = lambda *a: seen.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = browser.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return response.get_data(as_text=True), len(seen)


def test_the_casebook_page_reads_a_fixed_number_of_statements_for_2_or_20_forms(app, as_role, key):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.infra.extensions import db
    from ecrf.study.definition import load
    from ecrf.subjects.models import Subject

    browser = as_role("monitor")
    with app.app_context():
        set_actor(db.session, Actor(None, "test", "system"))
        few_key = new_subject(db.session).key  # the IC of its consent and one VS
        save(db.session, db.session.scalar(select(Subject).where(Subject.key == few_key)), "F.VS", vs_values())
        db.session.remove()
    _, few = _count(app, browser, f"/subjects/{few_key}")

    with app.app_context():
        set_actor(db.session, Actor(None, "test", "system"))
        subject = db.session.scalar(select(Subject).where(Subject.key == key))
        events = [e.oid for e in load().events if e.type != "Common" and any(r.form_oid == "F.VS" for r in e.forms)]
        for event_oid in events[6:20]:  # 6 forms of the set-up, the consent, and 14 more VS: 21 stored forms
            save(db.session, subject, "F.VS", vs_values(), event_oid=event_oid)
        db.session.remove()
    page, many = _count(app, browser, f"/subjects/{key}")
    assert page.count('class="cell-complete"') >= 14
    assert many == few, (few, many)
    assert db_forms(app, key) >= 20


def db_forms(app, key) -> int:
    from sqlalchemy import func

    from ecrf.capture.models import FormData, StudyEventData
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        return db.session.scalar(select(func.count(FormData.id)).join(FormData.event).join(StudyEventData.subject)
                                 .where(Subject.key == key))
