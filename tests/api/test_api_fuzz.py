"""Property: whatever body, path and query a client sends to any API route, the answer is JSON and never a 5xx."""
from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from api_helpers import API
from helpers import vs_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecrf.study.reasons import REASONS

VS_OIDS = sorted(vs_values())
ROUTES = {
    "api.openapi": ("GET", "/openapi.json"),
    "api.study": ("GET", "/study"),
    "api.subjects": ("GET", "/subjects"),
    "api.subject": ("GET", "/subjects/{subject}"),
    "api.form": ("GET", "/subjects/{subject}/events/{event}/forms/{form}"),
    "api.save_form": ("PUT", "/subjects/{subject}/events/{event}/forms/{form}"),
    "api.subject_audit": ("GET", "/subjects/{subject}/audit"),
    "api.calculate": ("POST", "/subjects/{subject}/events/{event}/forms/{form}/calculate"),
    "api.form_audit": ("GET", "/subjects/{subject}/events/{event}/forms/{form}/audit"),
    "api.item_audit": ("GET", "/subjects/{subject}/events/{event}/forms/{form}/items/{item}/audit"),
    "api.casebook": ("GET", "/subjects/{subject}/casebook"),
    "api.screening_log": ("GET", "/screening-log"),
    "api.calendar": ("GET", "/calendar"),
    "api.list_tokens": ("GET", "/tokens"),
    "api.revoke_token": ("POST", "/tokens/{prefix}/revoke"),
}

scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
item_values = st.one_of(scalars, st.sampled_from(list(vs_values().values())), st.integers(0, 300).map(str),
                        st.sampled_from(["2026-11-20T09:15", "2026-11-20", "2099-01-01T00:00Z", "\x00", "", " "]))
reasons = st.one_of(json_values, st.sampled_from(REASONS.values), st.fixed_dictionaries(
    {}, optional={"code": st.one_of(st.sampled_from(REASONS.values), json_values), "note": json_values}))
writes = st.fixed_dictionaries(
    {"version": st.one_of(st.integers(-2, 4), json_values),
     "items": st.one_of(st.dictionaries(st.sampled_from([*VS_OIDS, "I.NOPE"]), item_values, max_size=9),
                        json_values)},
    optional={"reason": reasons, "extra": json_values})
typed = st.fixed_dictionaries({"items": writes.map(lambda w: w["items"])}, optional={"extra": json_values})
bodies = st.one_of(st.none(), json_values.map(json.dumps), writes.map(json.dumps), typed.map(json.dumps),
                   st.just("{}"), st.binary(max_size=300))
#: what an HTTP header can carry (latin-1, no line breaks)
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=60)
queries = st.dictionaries(st.sampled_from(["event_repeat", "repeat", "before", "limit", "days"]),
                          st.one_of(st.integers(-(2**70), 2**70).map(str), st.text(max_size=12)), max_size=4)


def _segment(valid: list[str]):
    return st.one_of(st.sampled_from(valid), st.text(min_size=1, max_size=60)).map(lambda s: quote(s, safe=""))


@pytest.mark.parametrize("endpoint", ROUTES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_request_is_answered_with_a_server_error(app, api, tokens, keys, endpoint, data):
    app.config["API_AUTH_FAILURES_PER_MINUTE"] = 10**6  # junk tokens must not end the run in 429s
    method, template = ROUTES[endpoint]
    path = template.format(
        subject=data.draw(_segment([keys["01"], keys["02"], "NOPE"]), label="subject"),
        event=data.draw(_segment(["SE.SCREENING", "SE.UNSCHED", "SE.SUBJECT"]), label="event"),
        form=data.draw(_segment(["F.VS", "F.IC", "F.AE"]), label="form"),
        item=data.draw(_segment(VS_OIDS + ["I.AE.TERM"]), label="item"),
        prefix=data.draw(_segment([tokens["monitor"][:10], tokens["coordinator"][:10], "ecrf_"]), label="prefix"))
    query = data.draw(queries, label="query")
    token = data.draw(st.one_of(st.sampled_from([tokens["coordinator"], tokens["investigator"], tokens["monitor"],
                                                 tokens["coordinator2"]]), st.none(), HEADER_TEXT),
                      label="token")
    body = data.draw(bodies, label="body")
    url = API + path + (f"?{urlencode(query)}" if query else "")
    response = api.request(method, url, token=token, data=body, content_type="application/json")
    assert response.status_code < 500, (url, body, response.get_data(as_text=True)[:300])
    assert response.is_json, response.get_data(as_text=True)[:300]
    assert response.json["status"] == response.status_code if response.status_code >= 400 else True
