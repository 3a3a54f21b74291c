"""GET /openapi.json: the OpenAPI 3.1 document, generated from the route table and its pydantic models."""
from __future__ import annotations

from functools import cache

import ecrf
from ecrf.api import schemas
from ecrf.api.replies import OpenAPI
from ecrf.api.routing import ROUTES, reply, route
from ecrf.study.definition import PROTOCOL_NAME


def document() -> dict:
    """The OpenAPI document of every route in the table."""
    paths: dict[str, dict] = {}
    for r in ROUTES:
        paths.setdefault(r.path, {})[r.method] = r.operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "CART19-SLE eCRF API", "version": ecrf.__version__,
            "description": f"Study definition, subjects, form data and audit trail of {PROTOCOL_NAME}. "
                           "JSON in and out; errors are {\"error\", \"status\"}.",
        },
        "paths": paths,
        "components": {"schemas": schemas.schemas(ROUTES), "parameters": schemas.PARAMETERS,
                       "responses": schemas.responses(), "securitySchemes": schemas.SECURITY_SCHEMES},
        "security": [{"bearer": []}],
    }


@cache
def _published() -> OpenAPI:
    return OpenAPI(document())  # the route table is complete once the package is imported


@route("/openapi.json", "GET", summary="This OpenAPI document", ok=OpenAPI, public=True)
def openapi():
    return reply(_published())
