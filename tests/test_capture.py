"""Data entry through the web: save, refuse bad values, conflicts, reasons, site isolation."""
from __future__ import annotations

from helpers import VS_URL, new_subject, save, vs_values
from sqlalchemy import event, func, select


def _subject_key(app, site="01"):
    from ecrf.infra.extensions import db

    with app.app_context():
        return new_subject(db.session, site).key


def _stored(app, key):
    from ecrf.capture.models import FormData, ItemData
    from ecrf.infra.extensions import db

    with app.app_context():
        rows = db.session.execute(select(ItemData.item_oid, ItemData.value).join(FormData)
                                  .where(FormData.form_oid == "F.VS")).all()
        return dict(rows)


def test_coordinator_saves_vital_signs_and_sees_them_back(app, as_role):
    key = _subject_key(app)
    browser = as_role("coordinator")
    response = browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vital signs saved (complete)" in page
    assert 'value="98"' in page and "Asia/Shanghai" in page
    stored = _stored(app, key)
    assert stored["I.VS.SPO2"] == "98"
    assert stored["I.VS.DTC"] == "2026-11-20T01:15:00Z"  # entered 09:15 Shanghai time, kept in UTC


def test_out_of_range_spo2_is_refused_with_the_range_and_nothing_is_stored(app, as_role):
    key = _subject_key(app)
    browser = as_role("coordinator")
    response = browser.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.SPO2": "140"}), "version": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "140 is outside the allowed range 50–100 %" in page
    assert 'value="140"' in page  # shown back for correction
    assert _stored(app, key) == {}


def test_malformed_values_each_get_their_field_message(app, as_role):
    key = _subject_key(app)
    browser = as_role("coordinator")
    bad = vs_values(**{"I.VS.HR": "seventy", "I.VS.DTC": "2026-02-31T10:00", "I.VS.RESP": "x" * (10 * 1024 * 1024)})
    response = browser.post(VS_URL.format(key=key), {**bad, "version": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a whole number." in page and "Enter a real date and time" in page and "Too long" in page
    assert _stored(app, key) == {}


def test_future_date_is_refused(app, as_role):
    key = _subject_key(app)
    browser = as_role("coordinator")
    response = browser.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.DTC": "2099-01-01T10:00"}), "version": "0"})
    assert response.status_code == 422 and "in the future" in response.get_data(as_text=True)


def test_stale_version_is_a_conflict_not_an_overwrite(app, as_role):
    key = _subject_key(app)
    one, two = as_role("coordinator"), as_role("investigator")
    assert one.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.HR": "70"}), "version": "0"}).status_code == 302
    # the investigator opened the form before the coordinator saved (version 0) and saves now
    response = two.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.HR": "90"}), "version": "0"})
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    assert _stored(app, key)["I.VS.HR"] == "70"


def test_change_after_completion_needs_a_reason(app, as_role):
    key = _subject_key(app)
    browser = as_role("coordinator")
    browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"})
    response = browser.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.HR": "88"}), "version": "1"})
    assert response.status_code == 422 and "reason for change is required" in response.get_data(as_text=True)
    assert _stored(app, key)["I.VS.HR"] == "72"
    response = browser.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.HR": "88"}), "version": "1",
                                                     "reason_code": "TRANSCRIPTION"})
    assert response.status_code == 302
    assert _stored(app, key)["I.VS.HR"] == "88"


def test_unknown_oids_and_repeats_are_404(app, as_role):
    key = _subject_key(app)
    browser = as_role("coordinator")
    assert browser.get("/subjects/NOPE/events/SE.SCREENING/forms/F.VS").status_code == 404
    assert browser.get(f"/subjects/{key}/events/SE.NOPE/forms/F.VS").status_code == 404
    assert browser.get(f"/subjects/{key}/events/SE.SCREENING/forms/F.NOPE").status_code == 404
    assert browser.get(f"/subjects/{key}/events/SE.SCREENING/forms/F.INF").status_code == 404  # not at screening
    assert browser.get(f"/subjects/{key}/events/SE.SCREENING/forms/F.VS?repeat=2").status_code == 404


def test_other_sites_subject_is_refused_and_never_shown(app, as_role):
    key = _subject_key(app, "02")
    browser = as_role("coordinator")  # site 01 only
    for url in (f"/subjects/{key}", VS_URL.format(key=key), f"/subjects/{key}/audit"):
        response = browser.get(url)
        assert response.status_code == 403 and key not in response.get_data(as_text=True)
    assert browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"}).status_code == 403
    assert key not in browser.get("/subjects").get_data(as_text=True)
    assert _stored(app, key) == {}


def test_read_only_roles_cannot_save(app, as_role):
    key = _subject_key(app)
    for role in ("monitor", "data_manager", "sponsor"):
        browser = as_role(role)
        assert browser.get(VS_URL.format(key=key)).status_code == 200
        assert browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"}).status_code == 403
    assert _stored(app, key) == {}


def _count_queries(app, browser, url):
    from ecrf.infra.extensions import db

    statements = []
    with app.app_context():
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            page = browser.get(url).get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    return page, len(statements)


def test_casebook_grid_shows_status_per_cell_with_a_fixed_number_of_queries(app, as_role):
    key = _subject_key(app)
    browser = as_role("coordinator")
    browser.post(VS_URL.format(key=key), {**vs_values(**{"I.VS.SPO2": ""}), "version": "0"})
    page, few = _count_queries(app, browser, f"/subjects/{key}")
    assert 'class="cell-in_progress" data-testid="cell-SE.SCREENING-F.VS"' in page
    assert 'data-testid="cell-SE.D28-F.CRS"' in page
    for event_oid in ("SE.PRELD", "SE.UNSCHED"):  # more visits and forms with data: the same number of queries
        browser.post(f"/subjects/{key}/events/{event_oid}/forms/F.VS", {**vs_values(), "version": "0"})
    page, more = _count_queries(app, browser, f"/subjects/{key}")
    # with the signatures (1), the SDV counts per form (ranks, plan, aggregate: 3), the open queries per form (1)
    # and the subject's query and SDV figures above the grid (1 + 3); the ICAHT and glucocorticoid sections (1);
    # the next step's facts (2) and the repeating logs' key values (1)
    assert more == few <= 31


def test_one_save_issues_a_bounded_number_of_queries(app, world):
    from ecrf.capture.models import ItemData
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        counted = []
        listener = lambda *a: counted.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            save(db.session, subject, "F.VS", vs_values())
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        # target lookup 3, freeze/lock lookup 1 (remembered for the flush's guard), consent and withdrawal guards 3,
        # inserts 3 (items in one statement), audit chain 4, the signatures observer 1 (the subject's valid
        # signatures), the edit checks' facts from other forms 1
        assert len(counted) <= 17, "\n".join(c[:150] for c in counted)
        vs_rows = select(func.count()).select_from(ItemData).where(ItemData.item_oid.like("I.VS.%"))
        assert db.session.scalar(vs_rows) == 7


def test_a_concurrent_save_racing_past_the_version_check_is_a_conflict(app, world):
    """Two transactions both read version 1; the second UPDATE finds version 2 and is refused (no lost update)."""
    from helpers import ctx

    from ecrf.capture import services
    from ecrf.errors import Conflict
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        save(db.session, subject, "F.VS", vs_values())
        target = services.resolve(subject, "SE.SCREENING", "F.VS")
        form = services.find_form(db.session, target)
        assert form.version == 1
        # someone else commits version 2 behind this session's back
        other = db.engine.connect()
        with other.begin():
            other.exec_driver_sql("UPDATE form_data SET version = 2 WHERE id = ?" if db.engine.dialect.name ==
                                  "sqlite" else "UPDATE form_data SET version = 2 WHERE id = %s", (form.id,))
        other.close()
        try:
            services.save_form(db.session, target, vs_values(**{"I.VS.HR": "99"}), version=1, user_id=None,
                               ctx=ctx(), reason_code="TRANSCRIPTION")
        except Conflict:
            db.session.rollback()
        else:
            raise AssertionError("a stale write was accepted")
        from ecrf.capture.models import ItemData

        assert db.session.scalar(select(ItemData.value).where(ItemData.item_oid == "I.VS.HR")) == "72"
