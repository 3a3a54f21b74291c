"""Counts by state and the oldest open query, per form, subject, site and study, and the worklists: a fixed number
of SQL statements whatever the number of subjects."""
from __future__ import annotations

from helpers import new_subject, save, vs_values
from qhelpers import make_query, user
from sqlalchemy import event, select

from ecrf.queries import counts


def _grow(session, n):
    """``n`` subjects at site 01, each with F.VS stored and queries open, answered and closed."""
    keys = []
    for _ in range(n):
        subject = new_subject(session, "01")
        save(session, subject, "F.VS", vs_values())
        make_query(session, subject.key, "monitor", "open", item="I.VS.HR")
        make_query(session, subject.key, "data_manager", "answered", item="I.VS.DIABP")
        make_query(session, subject.key, "system", "closed", item="I.VS.SYSBP")
        keys.append(subject.key)
    return keys


def _statements(app, fn):
    from ecrf.infra.extensions import db

    db.session.expire_all()  # the pages share the test's session: start each from nothing loaded
    seen = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return result, len(seen)


def _read_all(session, site_ids, subject_id, form_id):
    session.expire_all()
    return (counts.study_counts(session, site_ids), counts.by_site(session, site_ids),
            counts.by_subject(session, site_ids), counts.subject_counts(session, subject_id),
            counts.by_form(session, subject_id), counts.form_counts(session, form_id), counts.by_item(session, form_id),
            counts.form_threads(session, form_id), counts.worklist(session, site_ids))


def test_counts_are_right_and_their_statements_do_not_grow_with_subjects(app, forms, as_role):
    from qhelpers import target

    from ecrf.capture.services import find_form
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        s = db.session
        keys = _grow(s, 3)
        site_ids = user(s, "monitor").site_ids
        subject_id = s.scalar(select(Subject.id).where(Subject.key == keys[0]))
        form_id = find_form(s, target(s, keys[0])).id
        few_result, few = _statements(app, lambda: _read_all(s, site_ids, subject_id, form_id))
        study = few_result[0]
        assert study.by_state == {"open": 3, "answered": 3, "closed": 3, "cancelled": 0}
        assert study.oldest_open is not None and study.age_days() == 0
        assert few_result[3].by_state["open"] == 1 and few_result[6]["I.VS.HR"].open == 1
        assert len(few_result[8]) == 9
        browser = as_role("monitor")
        page_few = _statements(app, lambda: browser.get("/queries").status_code)
        form_url = f"/subjects/{keys[0]}/events/SE.SCREENING/forms/F.VS"
        form_few = _statements(app, lambda: browser.get(form_url).status_code)
        _grow(s, 27)
        many_result, many = _statements(app, lambda: _read_all(s, site_ids, subject_id, form_id))
        assert many_result[0].by_state["open"] == 30 and len(many_result[2]) == 30
        assert many == few, "the read side issues statements per subject"
        page_many = _statements(app, lambda: browser.get("/queries").status_code)
        assert page_many == page_few and page_few[0] == 200
        assert _statements(app, lambda: browser.get(form_url).status_code) == form_few


def test_counts_see_only_the_readers_sites(session, forms):
    make_query(session, forms["01"])
    assert counts.study_counts(session, user(session, "monitor2").site_ids).total == 0
    assert counts.study_counts(session, user(session, "monitor").site_ids).open == 1
    assert counts.worklist(session, user(session, "monitor2").site_ids) == []


def test_worklist_filters(session, forms):
    a = make_query(session, forms["01"], item="I.VS.HR")
    b = make_query(session, forms["01"], "data_manager", "answered")
    site_ids = user(session, "monitor").site_ids
    ids = lambda **f: [r.id for r in counts.worklist(session, site_ids, counts.Filters(**f))]  # noqa: E731
    assert ids() == [a, b]
    assert ids(state="open") == [a] and ids(state="answered") == [b]
    assert ids(site="01") == [a, b] and ids(site="02") == []
    assert ids(subject=forms["01"]) == [a, b] and ids(subject="01-S999") == []
    assert ids(form_oid="F.VS") == [a, b] and ids(form_oid="F.CHEM") == []
    assert ids(min_age_days=1) == [] and ids(min_age_days=0) == [a, b]
