"""The API blueprint and its route table: every view is registered together with its OpenAPI operation."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint

from ecrf.infra.extensions import csrf

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)  # bearer tokens, no cookies: nothing for a forged cross-site request to ride on

#: errors every authenticated operation may answer with
AUTH_ERRORS = (401, 403, 413, 429)


@dataclass(frozen=True)
class Route:
    """One operation: its OpenAPI path and method, Flask endpoint and OpenAPI operation object."""

    path: str
    method: str
    endpoint: str
    operation: dict


ROUTES: list[Route] = []


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path template: ``/a/<b>`` -> ``/a/{b}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _response(schema: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def route(rule: str, method: str, *, summary: str, ok: str, ok_description: str = "OK", query: tuple = (),
          body: str | None = None, errors: tuple[int, ...] = (), public: bool = False,
          description: str = "", status: int = 200) -> Callable:
    """Register the decorated view at ``rule`` for ``method`` and describe it in the route table."""
    def register(view: Callable) -> Callable:
        path = openapi_path(PREFIX + rule)
        parameters = [{"$ref": f"#/components/parameters/{name}"} for name in re.findall(r"{([^}]+)}", path)]
        parameters += [{"$ref": f"#/components/parameters/{name}"} for name in query]
        statuses = sorted(set(errors) | ({413} if public else set(AUTH_ERRORS)))
        operation = {
            "operationId": view.__name__, "summary": summary,
            "responses": {str(status): _response(ok, "Created" if status == 201 else ok_description),
                          **{str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses}},
        }
        if description:
            operation["description"] = description
        if parameters:
            operation["parameters"] = parameters
        if body:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}}}
        if public:
            operation["security"] = []
        bp.add_url_rule(rule, view.__name__, view, methods=[method], provide_automatic_options=False,
                        merge_slashes=False)  # no redirects: a client gets JSON or an error
        ROUTES.append(Route(path, method.lower(), f"{bp.name}.{view.__name__}", operation))
        return view
    return register
