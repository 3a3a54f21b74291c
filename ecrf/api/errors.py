"""JSON error bodies for the API: ``{"error": message, "status": N, ...}``, never HTML.

The one place a refusal becomes an answer: an ApiError raised by a view or a hook, an HTTP error of the
framework, a ServiceError the unit of work re-raised (already rolled back, or its audit record kept), or a
write that lost a race with a concurrent one.
"""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ecrf.api.replies import ERROR_MODELS, Error
from ecrf.errors import Conflict, Invalid, ServiceError

MESSAGES = {
    400: "The request could not be understood.",
    401: "A valid API token is required: send it as 'Authorization: Bearer <token>'.",
    403: "Your role or sites do not give access to this.",
    404: "There is no such subject, event, form or repeat.",
    405: "This method is not allowed here.",
    409: "The data changed meanwhile.",
    413: "The request body is too large.",
    422: "Nothing was saved: some values are not acceptable.",
    423: "This form or visit is frozen or locked.",
    429: "Too many failed authentications from this address; wait a minute.",
}
MESSAGE_422 = "Nothing was saved: correct the values listed in errors."
RACE = "The data changed meanwhile; reload and try again."
BEARER_CHALLENGE = 'Bearer realm="ecrf"'


class ApiError(Exception):
    """An API refusal: HTTP status, message, optional headers and extra body fields."""

    def __init__(self, status: int, message: str | None = None, headers: dict | None = None, **extra):
        super().__init__(message or MESSAGES.get(status, "Error."))
        self.status, self.message, self.headers, self.extra = status, str(self), headers or {}, extra


def error_response(status: int, message: str, headers: dict | None = None, **extra):
    """The JSON body (built from the status's error model) and status of an error."""
    body = ERROR_MODELS.get(status, Error)(error=message, status=status, **extra)
    response = jsonify(body.model_dump(mode="json", exclude_none=True))
    response.status_code = status
    response.headers.update(headers or {})
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
    return response


def from_service(exc: ServiceError) -> ApiError:
    """The answer to a service's refusal: its status and message, and what the client needs to retry."""
    if isinstance(exc, Invalid):
        return ApiError(exc.status, MESSAGE_422, errors=exc.errors)
    if isinstance(exc, Conflict) and exc.current_version is not None:
        return ApiError(exc.status, str(exc), current_version=exc.current_version)
    return ApiError(exc.status, str(exc))


def register(bp: Blueprint) -> None:
    """Error handlers for everything the blueprint's views and hooks raise."""
    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.message, exc.headers, **exc.extra)

    @bp.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return _api_error(from_service(exc))

    @bp.errorhandler(IntegrityError)
    @bp.errorhandler(StaleDataError)
    def _race(exc):  # a concurrent write got there first; unit_of_work rolled back
        return error_response(409, RACE)

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
        return error_response(status, MESSAGES.get(status, exc.description or "Error."), headers)
