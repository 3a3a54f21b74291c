"""OpenAPI components, generated: the JSON Schemas (2020-12) of the body models, shared parameters, error answers."""
from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from ecrf.api.errors import MESSAGES
from ecrf.api.replies import ERROR_MODELS, Error
from ecrf.api.routing import Route

REF_TEMPLATE = "#/components/schemas/{model}"


def _add(out: dict[str, dict], name: str, schema: dict) -> None:
    if out.setdefault(name, schema) != schema:  # two models of one name would make a reference ambiguous
        raise RuntimeError(f"Two different schemas are named {name}.")


def schemas(routes: Iterable[Route]) -> dict[str, dict]:
    """Every model the routes and the error answers use, with the models nested in them, by class name."""
    models: dict[type[BaseModel], str] = {m: "serialization" for m in (Error, *ERROR_MODELS.values())}
    for r in routes:
        if r.ok is not None:
            models[r.ok] = "serialization"
        if r.body is not None:
            models[r.body] = "validation"
    out: dict[str, dict] = {}
    for model, mode in models.items():
        schema = model.model_json_schema(ref_template=REF_TEMPLATE, mode=mode)
        for name, nested in schema.pop("$defs", {}).items():
            _add(out, name, nested)
        _add(out, model.__name__, schema)
    return dict(sorted(out.items()))


_SEGMENT = {"type": "string", "minLength": 1}
PARAMETERS: dict[str, dict] = {
    "subject": {"name": "subject", "in": "path", "required": True, "schema": _SEGMENT,
                "description": "The subject's key (screening number), e.g. 01-S001."},
    "event_oid": {"name": "event_oid", "in": "path", "required": True, "schema": _SEGMENT},
    "form_oid": {"name": "form_oid", "in": "path", "required": True, "schema": _SEGMENT},
    "item_oid": {"name": "item_oid", "in": "path", "required": True, "schema": _SEGMENT},
    "prefix": {"name": "prefix", "in": "path", "required": True, "schema": _SEGMENT,
               "description": "The token's first characters, as GET /tokens lists them (ecrf_ and five more)."},
    "code": {"name": "code", "in": "path", "required": True, "schema": _SEGMENT,
             "description": "A site code, e.g. 01."},
    "site": {"name": "site", "in": "query", "schema": _SEGMENT,
             "description": "Only this one of your sites (its code); all of them when absent."},
    "lock_id": {"name": "lock_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
                "description": "The freeze's or lock's id, as GET /locks lists them."},
    "days": {"name": "days", "in": "query", "description": "How many days ahead to list upcoming visits.",
             "schema": {"type": "integer", "minimum": 0, "maximum": 3650, "default": 30}},
    "event_repeat": {"name": "event_repeat", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    "repeat": {"name": "repeat", "in": "query", "description": "The form's repeat number.",
               "schema": {"type": "integer", "minimum": 1, "default": 1}},
    "before": {"name": "before", "in": "query", "description": "Only records older than this sequence number.",
               "schema": {"type": "integer", "minimum": 1}},
    "query_id": {"name": "query_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}},
    "query_state": {"name": "state", "in": "query", "description": "Only queries in this state.",
                    "schema": {"enum": ["open", "answered", "closed", "cancelled"]}},
    "query_site": {"name": "site", "in": "query", "description": "Only queries at this site (its code).",
                   "schema": {"type": "string"}},
    "query_subject": {"name": "subject", "in": "query", "description": "Only the queries of this subject (its key).",
                      "schema": {"type": "string"}},
    "query_form": {"name": "form", "in": "query", "description": "Only queries on this form (its OID).",
                   "schema": {"type": "string"}},
    "query_age": {"name": "age", "in": "query", "description": "Only queries raised at least this many days ago.",
                  "schema": {"type": "integer", "minimum": 0, "maximum": 3650}},
    "job_id": {"name": "job_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1},
               "description": "The export job's id, as GET /exports lists them."},
    "annotated": {"name": "annotated", "in": "query", "description": "The annotated CRF (OIDs, data types, edit "
                  "checks, SDTM variables) instead of the blank one.", "schema": {"enum": ["true", "false"]}},
    "limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200,
                                                          "default": 50}},
}

_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}


def responses() -> dict[str, dict]:
    """One reusable response per error status, named E<status>, with the schema of its error model."""
    out = {}
    for status, message in {**MESSAGES, 500: "Unexpected error (logged)."}.items():
        model = ERROR_MODELS.get(status, Error)
        response = {"description": message, "content": {"application/json": {"schema": {
            "$ref": REF_TEMPLATE.format(model=model.__name__)}}}}
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        out[f"E{status}"] = response
    return out


SECURITY_SCHEMES = {"bearer": {
    "type": "http", "scheme": "bearer",
    "description": "An API token (ecrf_...) from 'API tokens' in the web app or `ecrf create-token`; "
                   "it acts with its user's role and sites.",
}}
