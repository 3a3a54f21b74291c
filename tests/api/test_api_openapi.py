"""The OpenAPI document describes exactly the API's routes, and is well formed."""
from __future__ import annotations

import re

from api_helpers import API

IGNORED = {"HEAD", "OPTIONS"}


def _document(api):
    response = api.get(API + "/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.json


def _flask_operations(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            out |= {(path, m.lower()) for m in rule.methods - IGNORED}
    return out


def test_every_api_route_is_documented_and_nothing_else(app, api):
    doc = _document(api)
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == _flask_operations(app)
    # 8 data routes, 10 of the trial's path, 8 of the web's other pages, 3 of electronic signatures, 8 of SDV,
    # 8 of queries, 3 of freeze/lock and the dashboard, and the SAE list
    assert len(documented) == 57


def test_operations_name_their_endpoints_and_parameters(app, api):
    doc = _document(api)
    endpoints = {r.endpoint.removeprefix("api.") for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert sorted(ids) == sorted(endpoints)
    parameters = doc["components"]["parameters"]
    for path, ops in doc["paths"].items():
        for op in ops.values():
            declared = [parameters[p["$ref"].rsplit("/", 1)[1]] for p in op.get("parameters", [])]
            in_path = {p["name"] for p in declared if p["in"] == "path"}
            assert in_path == set(re.findall(r"{([^}]+)}", path)), (path, in_path)


def test_security_and_error_statuses(api):
    doc = _document(api)
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearer"] == {**doc["components"]["securitySchemes"]["bearer"],
                                                              "type": "http", "scheme": "bearer"}
    assert doc["security"] == [{"bearer": []}]
    put = doc["paths"]["/api/v1/subjects/{subject}/events/{event_oid}/forms/{form_oid}"]["put"]
    assert {"200", "400", "401", "403", "404", "409", "413", "422", "423", "429"} <= set(put["responses"])
    assert put["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/FormWrite"}
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    for path, ops in doc["paths"].items():
        for op in ops.values():
            if op.get("security") != []:
                assert "401" in op["responses"] and "403" in op["responses"], path


def test_every_reference_resolves(api):
    doc = _document(api)
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs
    for ref in refs:
        target = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref


def test_the_document_is_public(api):
    assert api.get(API + "/openapi.json", token="nonsense").status_code == 200
