"""The audit trail on screen (item 8 of issue 13): labels beside OIDs, full names beside usernames, old -> new
values decoded as on the form, reasons in words, filters done in SQL, a page whose statement count does not grow
with its rows. The API and the CSV keep their stored shape (tests/api, tests/test_audit.py)."""
from __future__ import annotations

import re
from datetime import timedelta

from helpers import VS_URL, confirm_eligible, demographics, new_subject, save, statements, vs_values

from ecrf.study.definition import load


def _rows(html: str) -> list[str]:
    return html.split('data-testid="audit-row"')[1:]


def _row_of(html: str, oid: str) -> str:
    return next(r.split("</tr>")[0] for r in _rows(html) if f"<code>{oid}</code>" in r)


def test_the_trail_shows_labels_full_names_and_decoded_old_and_new_values(app, world, as_role):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
        full = {u.username: u.full_name for u in db.session.query(User)}
    coordinator, investigator = as_role("coordinator"), as_role("investigator")
    coordinator.post(f"/subjects/{key}/events/SE.SUBJECT/forms/F.DM",
                     {"I.DM.BRTHDAT": "1990-05-05", "I.DM.SEX": "M", "version": "0"})
    investigator.post(f"/subjects/{key}/events/SE.SUBJECT/forms/F.DM",
                      {"I.DM.BRTHDAT": "1990-05-05", "I.DM.SEX": "F", "version": "1",
                       "reason_code": "TRANSCRIPTION"})
    coordinator.post(VS_URL.format(key=key), {**vs_values(), "version": "0"})
    page = as_role("monitor").get(f"/subjects/{key}/audit").get_data(as_text=True)
    sex = _row_of(page, "I.DM.SEX")
    assert load().items["I.DM.SEX"].label in sex  # the label beside the OID
    assert full["investigator"] in sex and "(investigator)" in sex  # the full name beside the username
    change = sex.split('data-testid="audit-change"')[1].split("</td>")[0]
    assert re.search(r'class="audit-old">Male</span>\s*<span aria-label="changed to">→</span>\s*'
                     r'<span class="audit-new">Female</span>', change), change
    assert "Transcription error" in sex
    spo2 = _row_of(page, "I.VS.SPO2")
    assert "98 %" in spo2 and full["coordinator"] in spo2
    when = _row_of(page, "I.VS.DTC")  # a date-time as the form shows it: the site's local time
    assert "2026-11-20 09:15" in when and "CST" in when and "T09:15" not in when


def test_row_records_show_their_fields_not_json(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject)
        confirm_eligible(db.session, subject)
        key = subject.key
    page = as_role("investigator").get(f"/subjects/{key}/audit?action=create").get_data(as_text=True)
    review = next(r.split("</tr>")[0] for r in _rows(page) if "eligibility review" in r)
    assert "<dt>eligible</dt><dd>Yes</dd>" in review
    assert '{"' not in review.split('data-testid="audit-change"')[1].split("<details>")[0]


def test_filters_by_visit_form_item_user_action_and_date(app, world, as_role):
    from ecrf.infra.extensions import db
    from ecrf.study import clock

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject)
        save(db.session, subject, "F.VS", vs_values())
        key, today = subject.key, clock.today_at(subject.site.zone)  # dates filter by the site's calendar
    browser, url = as_role("monitor"), f"/subjects/{key}/audit"

    def count(query: str) -> int:
        return len(_rows(browser.get(f"{url}?{query}").get_data(as_text=True)))

    everything = count("")
    assert count("form=F.VS") == 8  # the form and its 7 items
    assert count("item=I.VS.HR") == 1 and count("item=I.DM.SEX") == 1
    assert count("event=SE.SUBJECT") < everything and count("event=SE.SCREENING") >= 8
    assert count("form=F.VS&item=I.DM.SEX") == 0
    assert count("action=update") == 0 and count("user=nobody") == 0
    assert count(f"from={today.isoformat()}&to={today.isoformat()}") == everything
    assert count(f"from={(today + timedelta(days=1)).isoformat()}") == 0
    assert count("to=2000-01-01") == 0
    # the system trail filters by subject too (an administrator's view of who did what, values withheld)
    admin = as_role("admin")
    scoped = admin.get(f"/admin/audit?scope=all&subject={key}&form=F.VS").get_data(as_text=True)
    assert len(_rows(scoped)) == 8 and "98 %" not in scoped


def test_the_page_costs_the_same_for_few_or_many_records(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        for n in range(4):
            save(db.session, subject, "F.VS", vs_values(**{"I.VS.HR": str(70 + n)}), reason_code="TRANSCRIPTION")
        key = subject.key
    browser = as_role("monitor")
    counts = []
    for query in ("item=I.VS.HR&action=create", "", "item=I.VS.HR"):
        with app.app_context(), statements(db.session) as seen:
            page = browser.get(f"/subjects/{key}/audit?{query}").get_data(as_text=True)
        counts.append((len(_rows(page)), len(seen)))
    assert counts[0][0] == 1 and counts[1][0] > 10 and counts[2][0] == 4
    assert len({n for _, n in counts}) == 1, counts


def test_long_values_fold_and_the_table_has_fixed_columns(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        save(db.session, subject, "F.ELIG", {"I.ELIG.LEUKRSN": "poor venous access " * 20})
        key = subject.key
    page = as_role("investigator").get(f"/subjects/{key}/audit?item=I.ELIG.LEUKRSN").get_data(as_text=True)
    row = _rows(page)[0]
    assert "<details>" in row and "audit-trail" in page and "<colgroup>" in page


def test_a_filter_narrows_and_never_widens_what_the_reader_may_see(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        own, other = new_subject(db.session, "01"), new_subject(db.session, "02")
        save(db.session, other, "F.VS", vs_values())
        keys = own.key, other.key
    coordinator = as_role("coordinator")  # site 01 only
    assert len(_rows(coordinator.get(f"/subjects/{keys[0]}/audit?subject={keys[1]}").get_data(as_text=True))) == 0
    assert coordinator.get(f"/subjects/{keys[1]}/audit").status_code in (403, 404)
    assert coordinator.get("/admin/audit?scope=all&subject=" + keys[1]).status_code == 403
