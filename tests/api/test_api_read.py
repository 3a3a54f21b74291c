"""Reading through the API: the study definition and the subjects of the token's sites."""
from __future__ import annotations

from api_helpers import API, VS_API
from helpers import new_subject, vs_values
from sqlalchemy import event


def _study(api, tokens):
    response = api.get(API + "/study", token=tokens["sponsor"])
    assert response.status_code == 200
    return response.json


def test_the_study_lists_events_with_their_forms(api, tokens):
    from ecrf.study.definition import load

    study = _study(api, tokens)
    assert study["oid"] == "S.CART19SLE"
    assert [e["oid"] for e in study["events"]] == [e.oid for e in load().events]
    screening = next(e for e in study["events"] if e["oid"] == "SE.SCREENING")
    assert {"form_oid": "F.VS", "required": True} in screening["forms"]
    assert {f["oid"] for f in study["forms"]} == {f.oid for f in load().forms}


def test_items_carry_type_units_range_required_and_code_lists(api, tokens):
    study = _study(api, tokens)
    items = {i["oid"]: i for f in study["forms"] for g in f["item_groups"] for i in g["items"]}
    spo2 = items["I.VS.SPO2"]
    assert (spo2["data_type"], spo2["units"], spo2["min"], spo2["max"]) == ("integer", "%", 50, 100)
    assert items["I.VS.DTC"]["data_type"] == "datetime" and items["I.VS.DTC"]["required"] is True
    assert items["I.VS.TEMP"]["data_type"] == "float" and isinstance(items["I.VS.TEMP"]["min"], (int, float))
    coded = next(i for i in items.values() if i["codelist"])
    assert coded["data_type"] == "codelist" and {"value", "label"} <= set(coded["codelist"]["items"][0])
    assert items["I.SLEDAI.TOTAL"]["calculated"] is True and items["I.SLEDAI.TOTAL"]["calculator"] == "sledai_2k"
    assert items["I.VS.HR"]["calculated"] is False


def test_subjects_are_those_of_the_tokens_sites_with_their_events(app, api, tokens, keys):
    # consent on 2026-11-01 (tests/helpers.py): screening is planned on that day, window to day 28
    api.put(VS_API.format(key=keys["01"]), {"version": 0, "items": vs_values()}, token=tokens["coordinator"])
    # the vital signs do not date the visit (2026-11-20 09:15): its visit date, on F.SV, does
    sv = VS_API.replace("F.VS", "F.SV").format(key=keys["01"])
    assert api.put(sv, {"version": 0, "items": {"I.SV.STDAT": "2026-11-20"}}, token=tokens["coordinator"]).status_code \
        == 200
    listed = api.get(API + "/subjects", token=tokens["monitor"]).json["subjects"]
    assert [s["key"] for s in listed] == [keys["01"]]
    subject = listed[0]
    assert (subject["site"], subject["status"], subject["subject_no"]) == ("01", "screening", None)
    screening = next(e for e in subject["events"] if e["event_oid"] == "SE.SCREENING")
    assert screening == {"event_oid": "SE.SCREENING", "repeat": 1, "state": "done", "planned_date": "2026-11-01",
                         "window_start": "2026-11-01", "window_end": "2026-11-29", "actual_date": "2026-11-20",
                         "not_done_reason": None}
    assert api.get(API + f"/subjects/{keys['01']}", token=tokens["monitor"]).json == subject
    other = api.get(API + "/subjects", token=tokens["coordinator2"]).json["subjects"]
    assert [s["key"] for s in other] == [keys["02"]]


def test_admins_see_no_subjects(api, tokens, keys):
    assert api.get(API + "/subjects", token=tokens["admin"]).status_code == 403
    assert api.get(API + f"/subjects/{keys['01']}", token=tokens["admin"]).status_code == 403


def test_listing_costs_the_same_queries_for_one_or_many_subjects(app, api, tokens, keys):
    from ecrf.infra.extensions import db

    def count() -> int:
        statements = []
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                assert api.get(API + "/subjects", token=tokens["monitor"]).status_code == 200
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    count()  # the token's first use records last_used_at
    one = count()
    with app.app_context():
        for _ in range(4):
            new_subject(db.session, "01")
    assert len(api.get(API + "/subjects", token=tokens["monitor"]).json["subjects"]) == 5
    assert count() == one


def test_an_unknown_subject_is_404(api, tokens):
    for key in ("NOPE", "x" * 41, "a%00b"):
        response = api.get(API + f"/subjects/{key}", token=tokens["monitor"])
        assert response.status_code == 404 and response.json["status"] == 404
