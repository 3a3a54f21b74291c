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


