"""Who may call what: every API route for every role and every kind of bad token; throttling; body limits."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from api_helpers import API, BROKEN, ROLES, VS_API, audit_rows
from helpers import PASSWORD, vs_values

from ecrf.auth.permissions import API_MATRIX, PUBLIC

#: one concrete request per API endpoint, for the site-01 subject
REQUESTS = {
    "api.openapi": ("GET", "/openapi.json"),
    "api.study": ("GET", "/study"),
    "api.dashboard": ("GET", "/dashboard"),
    "api.subjects": ("GET", "/subjects"),
    "api.subject": ("GET", "/subjects/{key}"),
    "api.form": ("GET", VS_API.removeprefix(API)),
    "api.save_form": ("PUT", VS_API.removeprefix(API)),
    "api.subject_audit": ("GET", "/subjects/{key}/audit"),
    "api.create_subject": ("POST", "/subjects"),
    "api.calculate": ("POST", VS_API.removeprefix(API) + "/calculate"),
    "api.form_audit": ("GET", VS_API.removeprefix(API) + "/audit"),
    "api.item_audit": ("GET", VS_API.removeprefix(API) + "/items/I.VS.HR/audit"),
    "api.casebook": ("GET", "/subjects/{key}/casebook"),
    "api.screening_log": ("GET", "/screening-log"),
    "api.calendar": ("GET", "/calendar"),
    "api.list_tokens": ("GET", "/tokens"),
    "api.revoke_token": ("POST", "/tokens/{prefix}/revoke"),  # the caller's own token
    "api.signatures": ("GET", "/subjects/{key}/signatures"),
    "api.sign": ("POST", "/subjects/{key}/signatures"),
    "api.signature_worklist": ("GET", "/signatures"),
    "api.form_sdv": ("GET", VS_API.removeprefix(API) + "/sdv"),
    "api.item_sdv": ("GET", VS_API.removeprefix(API) + "/items/I.VS.HR/sdv"),
    "api.sdv_worklist": ("GET", "/sdv/worklist"),
    "api.sdv_progress": ("GET", "/sdv/progress"),
    "api.sdv_plan": ("GET", "/sites/01/sdv-plan"),
    "api.locks": ("GET", "/locks"),
    "api.create_lock": ("POST", "/locks"),
    "api.exports": ("GET", "/exports"),
    "api.casebook_pdf": ("GET", "/subjects/{key}/casebook.pdf"),
    "api.blank_crf_pdf": ("GET", "/crf/blank.pdf"),
    "api.saes": ("GET", "/saes"),
    "api.subject_efficacy": ("GET", "/subjects/{key}/efficacy"),
}
#: undoing needs a lock made first: its role matrix is in tests/locks/test_lock_api.py; an export job needs asking
#: for first, and which kinds a role may ask for is decided by the kind: tests/exports/test_export_faces.py
ELSEWHERE = ("api.undo_lock", "api.ask_export", "api.export_job", "api.export_file")
#: granted, these answer a file, not JSON
FILES = ("api.casebook_pdf", "api.blank_crf_pdf")
#: data management's own writes (freeze and lock)
DATA_MANAGER_ONLY = ("api.create_lock", "api.undo_lock")
#: the SDV writes need data to verify and a plan body: tests/sdv/test_sdv_faces.py walks them for every role
SDV_WRITES = {"api.verify_items": {"monitor"}, "api.verify_form": {"monitor"},
              "api.set_sdv_plan": {"monitor", "data_manager"}}
#: the body of each write
BODIES = {"PUT": {"version": 0, "items": vs_values()}, "POST": {"site": "01"},
          "api.calculate": {"items": vs_values()}, "api.revoke_token": {},
          "api.sign": {"scope": "casebook", "meaning": "I approve the data in this casebook as accurate and complete",
                       "password": PASSWORD, "despite_missing": True},
          "api.create_lock": {"scope": "site", "level": "frozen", "site": "01", "reason": "interim analysis"}}
#: writes that create nothing answer 200, not 201
NOT_CREATED = ("api.calculate", "api.revoke_token")
#: the site staff's web actions (as subjects.new and capture.save)
SITE_STAFF_ONLY = ("api.save_form", "api.create_subject")
#: electronic signatures: the investigator's alone (as signatures.sign)
SIGNING = ("api.sign",)
#: the query routes take an existing query in a given state: tests/queries/test_query_api.py walks their roles
QUERIES = {"api.query_counts": "queries.worklist", "api.list_queries": "queries.worklist",
           "api.query": "queries.thread", "api.raise_query": "queries.raise_query",
           "api.answer_query": "queries.answer", "api.close_query": "queries.close",
           "api.cancel_query": "queries.cancel", "api.reopen_query": "queries.reopen"}
#: what any user, administrators included, may do with their own account
OWN_ACCOUNT = ("api.list_tokens", "api.revoke_token")


def _call(api, endpoint, token, key):
    method, path = REQUESTS[endpoint]
    body = BODIES.get(endpoint, BODIES.get(method))
    url = API + path.format(key=key, prefix=(token or "ecrf_abcde")[:10])
    return api.request(method, url, token=token, json=body)


def test_the_request_table_covers_every_api_endpoint(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    from test_api_trial import TRIAL  # the trial's path routes take bodies; tests/api/test_api_trial.py covers them

    assert endpoints - set(TRIAL) - set(SDV_WRITES) - set(QUERIES) - set(ELSEWHERE) == set(REQUESTS)
    assert endpoints - PUBLIC == set(API_MATRIX)


def test_the_api_grants_what_the_web_grants():
    for endpoint in SITE_STAFF_ONLY:
        assert API_MATRIX[endpoint] == {"investigator", "coordinator"}
    assert all("admin" not in roles for endpoint, roles in API_MATRIX.items() if endpoint not in OWN_ACCOUNT), \
        "admins have no clinical-data access"
    assert all(API_MATRIX[endpoint] == {*ROLES} for endpoint in OWN_ACCOUNT)
    from test_api_trial import TRIAL  # checked against their web counterparts there

    assert all(roles == {"investigator", "coordinator", "monitor", "data_manager", "sponsor"}
               for endpoint, roles in API_MATRIX.items()
               if endpoint not in (*SITE_STAFF_ONLY, *TRIAL, *OWN_ACCOUNT, *SIGNING, *SDV_WRITES, *QUERIES,
                                   *DATA_MANAGER_ONLY, "api.calculate"))
    assert all(API_MATRIX[endpoint] == {"investigator"} for endpoint in SIGNING)
    assert all(API_MATRIX[endpoint] == roles for endpoint, roles in SDV_WRITES.items())
    assert all(API_MATRIX[endpoint] == {"data_manager"} for endpoint in DATA_MANAGER_ONLY)
    from ecrf.auth.permissions import MATRIX

    for endpoint, web in QUERIES.items():  # as the web's, except the list: the sponsor reads counts only
        expected = MATRIX["queries.thread"] if endpoint == "api.list_queries" else MATRIX[web]
        assert API_MATRIX[endpoint] == expected, endpoint
    assert API_MATRIX["api.calculate"] == API_MATRIX["api.save_form"]


@pytest.mark.parametrize("who", (*ROLES, *BROKEN))
@pytest.mark.parametrize("endpoint", REQUESTS)
def test_role_matrix(api, tokens, keys, endpoint, who):
    response = _call(api, endpoint, tokens[who], keys["01"])
    if endpoint in FILES and response.status_code == 200:
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
        assert who in API_MATRIX[endpoint]
        return
    assert response.is_json, response.get_data(as_text=True)[:200]
    if endpoint in PUBLIC:
        expected = 200
    elif who in BROKEN:
        expected = 401
    else:
        created = REQUESTS[endpoint][0] == "POST" and endpoint not in NOT_CREATED
        expected = (201 if created else 200) if who in API_MATRIX[endpoint] else 403
    assert response.status_code == expected, (endpoint, who, response.json)
    if expected >= 400:
        assert response.json["status"] == expected and response.json["error"]
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic Y29vcmRpbmF0b3I6cHc=", "Token abc", "bearer  "])
def test_malformed_authorization_headers_are_401(api, tokens, header):
    response = api.get(API + "/study", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.is_json


def test_the_scheme_is_case_insensitive(api, tokens):
    assert api.get(API + "/study", headers={"Authorization": f"bearer {tokens['monitor']}"}).status_code == 200


def test_failures_are_audited_with_address_and_prefix_never_the_token(app, api, tokens):
    api.get(API + "/study", token=tokens["expired"])
    api.get(API + "/study", token=tokens["invalid"])
    api.get(API + "/study")
    rows = audit_rows(app, action="api_auth_failed")
    assert [r.entity for r in rows] == ["api_token"] * 3
    assert {r.entity_key for r in rows} == {"127.0.0.1"}
    assert {r.username for r in rows} == {"anonymous@127.0.0.1"}
    details = [json.loads(r.new_value) for r in rows]
    assert [d["problem"] for d in details] == ["expired", "unknown", "missing"]
    assert details[0]["prefix"] == tokens["expired"][:10] and details[2]["prefix"] is None
    for r in rows:
        assert tokens["expired"] not in r.new_value and tokens["invalid"] not in r.new_value


def test_a_successful_call_writes_no_audit_record(app, api, tokens):
    before = len(audit_rows(app))
    assert api.get(API + "/study", token=tokens["monitor"]).status_code == 200
    assert len(audit_rows(app)) == before


def test_twenty_failures_in_a_minute_get_429_with_retry_after(app, api, tokens, monkeypatch):
    limit = app.config["API_AUTH_FAILURES_PER_MINUTE"]
    assert limit == 20
    for _ in range(limit):
        assert api.get(API + "/study", token=tokens["invalid"]).status_code == 401
    response = api.get(API + "/study", token=tokens["invalid"])
    assert response.status_code == 429 and response.is_json
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert len(audit_rows(app, action="api_auth_failed")) == limit  # refusals are not counted again
    # a valid token from the same address (every client behind one proxy) is never held back by them
    assert api.get(API + "/study", token=tokens["coordinator"]).status_code == 200
    other = api.get(API + "/study", token=tokens["invalid"], environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 401
    import ecrf.auth.throttle as throttle

    later = throttle.utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    assert api.get(API + "/study", token=tokens["invalid"]).status_code == 401


def test_the_failure_limit_is_configurable(app, api, tokens):
    app.config["API_AUTH_FAILURES_PER_MINUTE"] = 2
    api.get(API + "/study")
    assert api.get(API + "/study").status_code == 401
    assert api.get(API + "/study").status_code == 429


def test_a_declared_body_over_the_limit_is_413(app, api, tokens, keys):
    app.config["API_MAX_BODY_BYTES"] = 200
    body = {"version": 0, "items": vs_values(**{"I.VS.TEMP": "36.8" + " " * 300})}
    response = api.put(VS_API.format(key=keys["01"]), body, token=tokens["coordinator"])
    assert response.status_code == 413 and response.json["status"] == 413


def test_a_default_limit_of_one_mebibyte(api, tokens, keys):
    body = json.dumps({"version": 0, "items": vs_values(**{"I.VS.TEMP": "x" * (1024 * 1024)})})
    response = api.put(VS_API.format(key=keys["01"]), token=tokens["coordinator"], data=body,
                       content_type="application/json")
    assert response.status_code == 413


def test_an_undeclared_body_over_the_limit_is_413(app, api, tokens, keys):
    app.config["API_MAX_BODY_BYTES"] = 200
    data = json.dumps({"version": 0, "items": vs_values(**{"I.VS.TEMP": "36.8" + " " * 300})}).encode()
    response = api.put(VS_API.format(key=keys["01"]), token=tokens["coordinator"], input_stream=io.BytesIO(data),
                       content_type="application/json", headers={"Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413


def test_errors_are_json_even_off_the_route_table(api, tokens):
    for response in (api.get(API + "/nothing-here", token=tokens["coordinator"]),
                     api.request("POST", API + "/study", token=tokens["coordinator"]),
                     api.request("DELETE", API + "/subjects")):
        assert response.is_json and response.json["status"] in (404, 405)


def test_no_cookie_is_set_and_a_web_session_does_not_authenticate(app, api, tokens, as_role):
    for response in (api.get(API + "/study", token=tokens["monitor"]), api.get(API + "/study"),
                     api.get(API + "/nothing-here"), api.get(API + "/openapi.json")):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    browser = as_role("monitor")
    assert browser.get("/subjects").status_code == 200
    assert browser.get(API + "/study").status_code == 401  # the browser's session cookie is not a credential
