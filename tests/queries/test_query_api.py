"""Queries through the JSON API: the same steps, rules and refusals as the web."""
from __future__ import annotations

import pytest
from qhelpers import ROLES, START
from test_query_web import _make, _snap, _state

FORM = "/subjects/{key}/events/SE.SCREENING/forms/F.VS"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("raiser", ["monitor", "data_manager", "system"])
@pytest.mark.parametrize("step", START)
def test_each_step_by_each_role(app, forms, api, tokens, step, raiser, role):
    qid = _make(app, forms["01"], raiser, START[step])
    before = _snap(app)
    response = api.call("POST", f"/queries/{qid}/{step}", tokens[role], {"text": "because"})
    owners = {"monitor", "data_manager"} if raiser == "system" else {raiser}
    if (role in {"investigator", "coordinator"}) if step == "answer" else (role in owners):
        assert response.status_code == 200, response.json
        assert response.json["state"] == _state(app, qid) and response.json["messages"][-1]["role"] == role
    else:
        assert response.status_code == 403 and response.json["error"]
        assert _snap(app) == before


@pytest.mark.parametrize("role", ROLES)
def test_raising_by_each_role(app, forms, api, tokens, role):
    before = _snap(app)
    response = api.call("POST", FORM.format(key=forms["01"]) + "/items/I.VS.HR/queries", tokens[role],
                        {"text": "Source?"})
    if role in ("monitor", "data_manager"):
        assert response.status_code == 201
        body = response.json
        assert body["state"] == "open" and body["raised_role"] == role and body["location"]["item_oid"] == "I.VS.HR"
        assert body["steps"] == ["close", "cancel"]
    else:
        assert response.status_code == 403 and _snap(app) == before


@pytest.mark.parametrize("path,body,status", [
    ("/items/I.VS.NOPE/queries", {"text": "x"}, 404),
    ("/items/I.VS.HR/queries", {"text": " "}, 422),
    ("/items/I.VS.HR/queries", {}, 422),
    ("/items/I.VS.HR/queries", {"text": "x", "extra": 1}, 422),
    ("/items/I.VS.HR/queries", ["x"], 400),
])
def test_bad_raises(app, forms, api, tokens, path, body, status):
    before = _snap(app)
    response = api.call("POST", FORM.format(key=forms["01"]) + path, tokens["monitor"], body)
    assert response.status_code == status and response.json["error"]
    assert _snap(app) == before


def test_bad_steps_and_other_sites(app, forms, api, tokens):
    qid = _make(app, forms["01"])
    before = _snap(app)
    assert api.call("POST", f"/queries/{qid}/reopen", tokens["monitor"], {"text": "x"}).status_code == 409
    assert api.call("POST", f"/queries/{qid}/answer", tokens["coordinator"], {}).status_code == 422
    closing = api.call("POST", f"/queries/{qid}/close", tokens["data_manager"], {"text": "x"})
    assert closing.status_code == 403 and "only a monitor" in closing.json["error"]
    assert api.call("POST", "/queries/99999/close", tokens["monitor"], {"text": "x"}).status_code == 404
    assert api.call("POST", f"/queries/{qid}/answer", tokens["coordinator2"], {"text": "x"}).status_code == 403
    assert api.call("GET", f"/queries/{qid}", tokens["monitor2"]).status_code == 403
    assert api.call("POST", FORM.format(key=forms["02"]) + "/items/I.VS.HR/queries", tokens["monitor"],
                    {"text": "x"}).status_code == 403
    assert _snap(app) == before


def test_list_thread_and_counts(app, forms, api, tokens):
    a = _make(app, forms["01"], item="I.VS.HR")
    b = _make(app, forms["01"], "data_manager", "answered")
    listed = api.call("GET", "/queries", tokens["monitor"]).json["queries"]
    assert [q["id"] for q in listed] == [a, b]
    assert [q["id"] for q in api.call("GET", "/queries?state=answered", tokens["monitor"]).json["queries"]] == [b]
    assert api.call("GET", f"/queries?subject={forms['02']}", tokens["monitor"]).json["queries"] == []
    assert api.call("GET", "/queries?state=nope", tokens["monitor"]).status_code == 400
    assert api.call("GET", "/queries?age=-1", tokens["monitor"]).status_code == 400
    assert api.call("GET", "/queries", tokens["monitor2"]).json["queries"] == []
    thread = api.call("GET", f"/queries/{b}", tokens["coordinator"]).json
    assert [m["step"] for m in thread["messages"]] == ["raise", "answer"] and thread["steps"] == []
    assert api.call("GET", f"/queries/{b}", tokens["data_manager"]).json["steps"] == ["close", "cancel", "reopen"]
    assert api.call("GET", "/queries", tokens["sponsor"]).status_code == 403
    assert api.call("GET", f"/queries/{a}", tokens["sponsor"]).status_code == 403
    report = api.call("GET", "/query-counts", tokens["sponsor"]).json
    assert report["study"]["open"] == 1 and report["study"]["answered"] == 1
    assert report["sites"][0]["site"] == "01" and report["study"]["oldest_open_days"] == 0
