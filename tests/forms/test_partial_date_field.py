"""A partial-date item on the web form: a typed field with its format, and the codec's message at the field."""
from __future__ import annotations

from helpers import new_subject

URL = "/subjects/{key}/events/SE.SCREENING/forms/F.SLEHX"


def test_the_form_shows_the_format_and_takes_a_year_but_not_month_13(app, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session, "01").key
    browser = as_role("coordinator")
    page = browser.get(URL.format(key=key)).get_data(as_text=True)
    assert 'placeholder="YYYY-MM-DD, YYYY-MM or YYYY"' in page
    bad = browser.post(URL.format(key=key), {"I.SLEHX.DIAGDAT": "2018-13", "I.SLEHX.ANATITRE": "320", "version": "0"})
    assert bad.status_code == 422 and "2018-13 is not a real month" in bad.get_data(as_text=True)
    good = browser.post(URL.format(key=key), {"I.SLEHX.DIAGDAT": "2018", "I.SLEHX.ANATITRE": "320", "version": "0"})
    assert good.status_code == 302
    assert 'value="2018"' in browser.get(URL.format(key=key)).get_data(as_text=True)
