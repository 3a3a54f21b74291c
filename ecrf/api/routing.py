"""The API blueprint and its route table: every view is registered together with its OpenAPI operation."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, jsonify
from pydantic import BaseModel

from ecrf.infra.extensions import csrf

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)  # bearer tokens, no cookies: nothing for a forged cross-site request to ride on

#: errors every authenticated operation may answer with
AUTH_ERRORS = (401, 403, 413, 429)


@dataclass(frozen=True)
class Route:
    """One operation: its OpenAPI path and method, Flask endpoint, OpenAPI operation object and body models."""

    path: str
    method: str
    endpoint: str
    operation: dict
    ok: type[BaseModel] | None  # None: a file (``media_types``)
    body: type[BaseModel] | None


ROUTES: list[Route] = []


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path template: ``/a/<b>`` -> ``/a/{b}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def schema_ref(model: type[BaseModel]) -> dict:
    """The reference to ``model``'s schema among the document's components (named as the class)."""
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _response(model: type[BaseModel], description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema_ref(model)}}}


def reply(model: BaseModel, status: int = 200):
    """A JSON answer built from its response model."""
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    return response


def _file(media_types: tuple[str, ...], description: str) -> dict:
    return {"description": description,
            "content": {m: {"schema": {"type": "string", "contentMediaType": m}} for m in media_types}}


def route(rule: str, method: str, *, summary: str, ok: type[BaseModel] | None = None, ok_description: str = "OK",
          query: tuple = (), body: type[BaseModel] | None = None, errors: tuple[int, ...] = (),
          public: bool = False, description: str = "", status: int = 200,
          media_types: tuple[str, ...] = ()) -> Callable:
    """Register the decorated view at ``rule`` for ``method`` and describe it in the route table.

    A view answers JSON built from ``ok``, or (``media_types``) a file of one of those types."""
    if (ok is None) == (not media_types):
        raise ValueError(f"{rule}: a route answers either a model (ok) or a file (media_types)")
    def register(view: Callable) -> Callable:
        path = openapi_path(PREFIX + rule)
        parameters = [{"$ref": f"#/components/parameters/{name}"} for name in re.findall(r"{([^}]+)}", path)]
        parameters += [{"$ref": f"#/components/parameters/{name}"} for name in query]
        # a body is parsed by its model: 400 when it is no JSON object, 422 when a field is refused
        statuses = sorted(set(errors) | ({400, 422} if body else set()) | ({413} if public else set(AUTH_ERRORS)))
        operation = {
            "operationId": view.__name__, "summary": summary,
            "responses": {str(status): _file(media_types, ok_description) if ok is None
                          else _response(ok, "Created" if status == 201 else ok_description),
                          **{str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses}},
        }
        if description:
            operation["description"] = description
        if parameters:
            operation["parameters"] = parameters
        if body:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": schema_ref(body)}}}
        if public:
            operation["security"] = []
        bp.add_url_rule(rule, view.__name__, view, methods=[method], provide_automatic_options=False,
                        merge_slashes=False)  # no redirects: a client gets JSON or an error
        ROUTES.append(Route(path, method.lower(), f"{bp.name}.{view.__name__}", operation, ok, body))
        return view
    return register
