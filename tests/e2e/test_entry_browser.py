"""Data entry at the speed of the source document, in Debian's chromium: a whole screening visit by "Save and next
form", every problem of a bad infusion form after one save, the warning before typed values are lost, and a form
that cannot be entered yet saying so when it opens."""
from __future__ import annotations

from helpers import PASSWORD
from screening_walk import consented_subject, login, with_save_and_next


def test_a_coordinator_enters_the_whole_screening_visit_with_save_and_next(app, server, page):
    from ecrf.study.definition import load

    key, values = consented_subject(app)
    login(page, server, "coordinator", PASSWORD)
    required = [r.form_oid for r in load().event("SE.SCREENING").forms if r.required]
    tally, seen = with_save_and_next(page, server, key, values, required[0])
    assert seen == required  # every required form, in the schedule's order (a man: no pregnancy forms)
    assert page.url.endswith(f"/subjects/{key}") and "last form of Screening" in page.content()
    assert tally.moves == len(required) + 1  # one click a form to move on, and the first form opened
    states = {oid: page.locator(f'[data-testid="cell-SE.SCREENING-{oid}"]').get_attribute("class") for oid in required}
    # every form stored; one still in progress is a laboratory result outside its range waiting for CS/NCS
    assert all("cell-complete" in c or "cell-in_progress" in c for c in states.values()), states
    assert sum("cell-complete" in c for c in states.values()) >= len(required) - 2, states
    # the visit is dated by its visit date, not by the SLE diagnosis six years earlier
    assert values["F.SV"]["I.SV.STDAT"] in _visit_date(app, key)


def _visit_date(app, key):
    from sqlalchemy import select

    from ecrf.capture.models import StudyEventData
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        subject = db.session.scalar(select(Subject).where(Subject.key == key))
        row = db.session.scalar(select(StudyEventData).filter_by(subject_id=subject.id, event_oid="SE.SCREENING"))
        return str(row.actual_date)


def test_a_bad_infusion_form_shows_every_problem_at_once(server, page):
    login(page, server, "coordinator", PASSWORD)
    page.goto(f"{server}/subjects/01-S005/events/SE.D0/forms/F.INF")
    start = page.input_value("#I\\.INF\\.STDTC")
    page.fill("#I\\.INF\\.ENDTC", start.replace("T", "T00:00")[:10] + "T00:01")  # stops before it started
    page.fill("#I\\.INF\\.LOT", "NOT-THE-RELEASED-LOT")
    page.fill("#I\\.INF\\.DOSEKG", "9.5")  # far outside the tolerance of the assigned dose level
    page.click('[data-testid="save"]')
    problems = page.locator('[data-testid="problem"]').all_inner_texts()
    assert len(problems) >= 3, problems
    text = " ".join(problems)
    assert "lot" in text.lower() and "end" in text.lower(), problems
    # each item-level problem is also shown at its field
    for oid in ("I.INF.LOT", "I.INF.ENDTC"):
        assert page.locator(f'[data-testid="problem-{oid}"]').count() == 1, oid
        assert page.locator(f'[data-testid="error-{oid}"]').count() >= 1, oid
    assert page.input_value("#I\\.INF\\.LOT") == "NOT-THE-RELEASED-LOT"  # the typed values are kept


def test_leaving_a_form_with_unsaved_changes_asks_first_and_not_after_saving(server, page):
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer)
    login(page, server, "coordinator", PASSWORD)
    form = f"{server}/subjects/01-S002/events/SE.SCREENING/forms/F.HTWT"
    page.goto(form)
    page.click('[data-testid="back-to-casebook"]')  # nothing typed: no question
    page.wait_for_url(f"{server}/subjects/01-S002")
    assert dialogs == []
    page.goto(form)
    page.fill("#I\\.HTWT\\.HEIGHT", "139")
    page.click('[data-testid="back-to-casebook"]')  # typed: asked, and staying keeps the value
    assert dialogs and "not saved" in dialogs[0]
    assert page.url == form and page.input_value("#I\\.HTWT\\.HEIGHT") == "139"
    page.fill("#I\\.HTWT\\.DAT", page.evaluate("new Date().toISOString().slice(0, 10)"))
    page.fill("#I\\.HTWT\\.WEIGHT", "31")
    page.click('[data-testid="save"]')
    assert "Height and weight saved" in page.content()
    asked = len(dialogs)
    page.click('[data-testid="back-to-casebook"]')  # saved: no question
    page.wait_for_url(f"{server}/subjects/01-S002")
    assert len(dialogs) == asked


def test_a_form_before_consent_says_so_when_opened_with_a_link_to_what_comes_first(server, page):
    login(page, server, "coordinator", PASSWORD)
    page.goto(f"{server}/subjects/01-S007/events/SE.SCREENING/forms/F.VS")  # registered, not consented
    blocked = page.locator('[data-testid="blocked"]')
    assert blocked.is_visible() and "consent" in blocked.inner_text().lower()
    assert page.locator("#I\\.VS\\.TEMP").is_disabled()
    assert page.locator('[data-testid="save"]').count() == 0
    page.click('[data-testid="blocked-first"]')
    assert "/forms/F.IC" in page.url
