"""Edit checks and completeness through the API: every hard error in one 422, soft findings as warnings, the
explicit "not done" answers written and read back."""
from __future__ import annotations

from api_helpers import VS_API
from helpers import vs_values


def test_api_answers_422_with_every_hard_error_and_200_with_warnings(app, api, tokens, keys):
    url = VS_API.format(key=keys["01"])
    bad = api.put(url, {"version": 0, "items": vs_values(**{"I.VS.DIABP": "130", "I.VS.HR": "fast"})},
                  token=tokens["coordinator"])
    assert bad.status_code == 422
    assert {"I.VS.DIABP", "I.VS.HR"} <= set(bad.json["errors"])
    good = api.put(url, {"version": 0, "items": vs_values(**{"I.VS.TEMP": "34.6"})}, token=tokens["coordinator"])
    assert good.status_code == 200
    assert [w["check_id"] for w in good.json["warnings"]] == ["VS.TEMP_PLAUSIBLE"]
    assert good.json["warnings"][0]["item_oid"] == "I.VS.TEMP"
    assert api.get(url, token=tokens["monitor"]).json["warnings"] == good.json["warnings"]




def test_api_writes_and_reads_not_done_answers(api, tokens, keys):
    url = VS_API.format(key=keys["01"])
    flag = {"I.VS.SPO2": {"code": "NOT_DONE", "reason": "oximeter out of order"}}
    saved = api.put(url, {"version": 0, "items": vs_values(**{"I.VS.SPO2": None}), "missing": flag},
                    token=tokens["coordinator"])
    assert saved.status_code == 200, saved.json
    assert saved.json["status"] == "complete" and saved.json["missing_items"] == []
    assert saved.json["missing"] == flag
    assert api.get(url, token=tokens["monitor"]).json["missing"] == flag


def test_api_refuses_a_value_with_a_flag_and_a_flag_on_an_unknown_item(api, tokens, keys):
    url = VS_API.format(key=keys["01"])
    both = api.put(url, {"version": 0, "items": vs_values(),
                         "missing": {"I.VS.SPO2": {"code": "NOT_DONE", "reason": "x"}}}, token=tokens["coordinator"])
    assert both.status_code == 422 and "not both" in both.json["errors"]["I.VS.SPO2"]
    unknown = api.put(url, {"version": 0, "items": vs_values(),
                            "missing": {"I.VS.NOPE": {"code": "NOT_DONE", "reason": "x"}}}, token=tokens["coordinator"])
    assert unknown.status_code == 400
    bad_code = api.put(url, {"version": 0, "items": vs_values(),
                             "missing": {"I.VS.SPO2": {"code": "MAYBE", "reason": "x"}}}, token=tokens["coordinator"])
    assert bad_code.status_code in (400, 422)
    assert api.get(url, token=tokens["monitor"]).json["status"] == "not_started"  # nothing stored
