"""The subject pages of issue 13 (items 2 and 6): the casebook's statement count is the same for one visit and
for twelve months of visits; the phase that opens; a repeating log as a table; the subject list's search and
filters (server side, a statement count independent of the number of subjects, only the user's sites); one
identity header on every subject page."""
from __future__ import annotations

import re

import pytest
from helpers import confirm_eligible, demographics, enrolled_subject, new_subject, save, vs_values
from safety_helpers import ae, save_ae
from sqlalchemy import event, select


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


def _system(db):
    from ecrf.audit.context import Actor, set_actor

    set_actor(db.session, Actor(None, "test", "system"))


def _visit_events(last: str):
    from ecrf.study.definition import load

    oids = [e.oid for e in load().events if e.type != "Common" and not e.repeating
            and any(r.form_oid == "F.VS" for r in e.forms)]
    return oids[:oids.index(last) + 1]


def test_the_casebook_reads_as_many_statements_for_one_visit_as_for_twelve_months(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        _system(db)
        one = new_subject(db.session)
        save(db.session, one, "F.VS", vs_values())
        year = new_subject(db.session)
        for event_oid in _visit_events("SE.M12"):  # screening to month 12: 28 visits
            save(db.session, year, "F.VS", vs_values(), event_oid=event_oid)
        save_ae(db.session, year, ae())
        save_ae(db.session, year, ae(**{"I.AE.TERM": "Nausea"}), repeat=2)
        keys = one.key, year.key
        db.session.remove()
    browser = as_role("monitor")
    _, few = _count(app, browser, f"/subjects/{keys[0]}")
    page, many = _count(app, browser, f"/subjects/{keys[1]}")
    assert page.count('class="cell-complete"') >= 28
    assert many == few, (few, many)


def _opened(page: str) -> list[str]:
    return re.findall(r'<details class="casebook-phase mb-2" data-testid="phase-(\w+)" open>', page)


def test_the_phase_of_the_latest_visit_opens_and_the_others_are_closed(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        _system(db)
        screening = new_subject(db.session)
        later = new_subject(db.session)
        for event_oid in _visit_events("SE.M3"):
            save(db.session, later, "F.VS", vs_values(), event_oid=event_oid)
        later.status = "follow_up"  # past screening, no visit planned next: the latest visit's phase opens
        db.session.commit()
        keys = screening.key, later.key
        db.session.remove()
    browser = as_role("coordinator")
    first = browser.get(f"/subjects/{keys[0]}").get_data(as_text=True)
    assert _opened(first) == ["treatment"]
    for phase in ("subject", "early", "months", "ltfu", "unscheduled"):
        assert f'data-testid="phase-{phase}"' in first
    assert _opened(browser.get(f"/subjects/{keys[1]}").get_data(as_text=True)) == ["months"]


def test_a_repeating_log_is_a_table_of_its_entries(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        _system(db)
        subject = new_subject(db.session)
        save_ae(db.session, subject, ae())
        save_ae(db.session, subject, ae(**{"I.AE.TERM": "Nausea", "I.AE.TOXGR": "2"}), repeat=2)
        key = subject.key
        db.session.remove()
    page = as_role("coordinator").get(f"/subjects/{key}").get_data(as_text=True)
    log = page.split('data-testid="log-F.AE"')[1].split("</table>")[0]
    heads = re.findall(r'<th scope="col">([^<]+)</th>', log)
    assert heads == ["No.", "Term", "Start", "End", "Grade", "Serious", "Status"]
    rows = [re.sub(r"<[^>]+>|\s+", " ", r).split() for r in re.findall(r'<tr data-testid="log-entry">(.*?)</tr>', log,
                                                                       re.S)]
    assert [r[0] for r in rows] == ["#1", "#2"]
    assert "Headache" in rows[0] and "Nausea" in rows[1] and "ongoing" in rows[0]
    assert 'data-testid="log-add-F.AE"' in page and "add entry #3" in page
    assert 'data-testid="cell-SE.SUBJECT-F.AE"' in page and "&times;2" in page


# -- the subject list ------------------------------------------------------------------------------------------------

@pytest.fixture
def cohort(app, world):
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        _system(db)
        screening = new_subject(db.session)
        enrolled = enrolled_subject(db.session)
        other_site = new_subject(db.session, "02")
        failed = new_subject(db.session)
        failed.status, failed.screen_fail_reason = "screen_failed", "ANA negative"
        db.session.commit()
        eligible = new_subject(db.session)
        demographics(db.session, eligible)
        confirm_eligible(db.session, eligible)
        db.session.commit()
        out = {"screening": screening.key, "enrolled": enrolled.key, "subject_no": enrolled.subject_no,
               "dose": enrolled.dose_level, "other_site": other_site.key, "failed": failed.key,
               "eligible": eligible.key}
        assert db.session.scalar(select(Subject).where(Subject.key == eligible.key)).status == "screening"
        db.session.remove()
    return out


def _listed(browser, query: str = "") -> list[str]:
    page = browser.get(f"/subjects?{query}").get_data(as_text=True)
    return re.findall(r'data-testid="subject-row-([\w-]+)"', page)


def test_the_subject_list_searches_and_filters_on_the_server(app, as_role, cohort):
    browser = as_role("coordinator")
    everyone = _listed(browser)
    assert cohort["other_site"] not in everyone  # another site's subject never shows, whatever the filter
    assert set(everyone) == {cohort[k] for k in ("screening", "enrolled", "failed", "eligible")}
    assert _listed(browser, f"q={cohort['subject_no']}") == [cohort["enrolled"]]
    assert _listed(browser, f"q={cohort['screening'][-4:].lower()}") == [cohort["screening"]]
    assert _listed(browser, "q=%25") == []  # a LIKE wildcard is a character, not "anything"
    assert _listed(browser, f"q={cohort['other_site']}") == []
    assert _listed(browser, "status=enrolled") == [cohort["enrolled"]]
    assert _listed(browser, "status=screen_failed") == [cohort["failed"]]
    assert _listed(browser, "status=eligible") == [cohort["eligible"]]  # a stage, from the next-step rule
    assert _listed(browser, f"dose={cohort['dose']}") == [cohort["enrolled"]]
    assert _listed(browser, "next=SE.LEUKAPHERESIS") == [cohort["enrolled"]]
    assert set(_listed(browser, "next=SE.SCREENING")) == {cohort["screening"], cohort["eligible"]}
    assert _listed(browser, "status=screening&q=nothing-like-it") == []
    # malformed values are ignored, never an error
    for query in ("dose=x", "dose=9", "status=<script>", "next=SE.NOPE", "q=" + "x" * 500, "next=overdue"):
        assert browser.get(f"/subjects?{query}").status_code == 200
    page = browser.get("/subjects?status=enrolled").get_data(as_text=True)
    assert '<option value="enrolled" selected>' in page and "Enrolled, awaiting leukapheresis" in page


def test_the_subject_list_reads_as_many_statements_for_3_as_for_9_subjects(app, world, as_role):
    from ecrf.infra.extensions import db

    browser = as_role("coordinator")
    with app.app_context():
        _system(db)
        for _ in range(3):
            subject = new_subject(db.session)
            save(db.session, subject, "F.VS", vs_values())
        db.session.remove()
    _, few = _count(app, browser, "/subjects?status=screening")
    with app.app_context():
        _system(db)
        for _ in range(6):
            subject = new_subject(db.session)
            save(db.session, subject, "F.VS", vs_values())
        enrolled_subject(db.session)
        db.session.remove()
    page, many = _count(app, browser, "/subjects?status=screening")
    assert page.count('data-testid="subject-row-') == 9
    assert many == few, (few, many)


# -- one identity on every subject page ------------------------------------------------------------------------------

SUBJECT_PAGES = ("/subjects/{key}", "/subjects/{key}/events/SE.SCREENING/forms/F.VS", "/subjects/{key}/eligibility",
                 "/subjects/{key}/efficacy", "/subjects/{key}/charts", "/subjects/{key}/audit",
                 "/subjects/{key}/signatures", "/subjects/{key}/sign?scope=casebook")


def test_every_subject_page_names_the_subject_the_same_way(app, as_role, cohort):
    browser = as_role("investigator")
    for key, number in ((cohort["screening"], None), (cohort["enrolled"], cohort["subject_no"])):
        for url in SUBJECT_PAGES:
            page = browser.get(url.format(key=key)).get_data(as_text=True)
            assert page.count('data-testid="subject-identity"') == 1, url
            identity = page.split('data-testid="subject-identity"')[1].split("</nav>")[0]
            assert f'href="/subjects/{key}" data-testid="identity-screening-no">{key}</a>' in identity, url
            if number:
                assert f'data-testid="identity-subject-no">{number}</a>' in identity, url
                assert "enrolled" in identity and f"dose level {cohort['dose']}" in identity, url
            else:
                assert "identity-subject-no" not in identity and "screening" in identity, url
