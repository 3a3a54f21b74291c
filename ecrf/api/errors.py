"""JSON error bodies for the API: ``{"error": message, "status": N, ...}``, never HTML."""
from __future__ import annotations

from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: "The request could not be understood.",
    401: "A valid API token is required: send it as 'Authorization: Bearer <token>'.",
    403: "Your role or sites do not give access to this.",
    404: "There is no such subject, event, form or repeat.",
    405: "This method is not allowed here.",
    409: "The data changed meanwhile.",
    413: "The request body is too large.",
    422: "Nothing was saved: some values are not acceptable.",
    423: "This form is locked.",
    429: "Too many failed authentications from this address; wait a minute.",
}
BEARER_CHALLENGE = 'Bearer realm="ecrf"'


class ApiError(Exception):
    """An API refusal: HTTP status, message, optional headers and extra body fields."""

    def __init__(self, status: int, message: str | None = None, headers: dict | None = None, **extra):
        super().__init__(message or MESSAGES.get(status, "Error."))
        self.status, self.message, self.headers, self.extra = status, str(self), headers or {}, extra


def error_response(status: int, message: str, headers: dict | None = None, **extra):
    """The JSON body and status of an error."""
    response = jsonify({**extra, "error": message, "status": status})
    response.status_code = status
    response.headers.update(headers or {})
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
    return response


def register(bp: Blueprint) -> None:
    """Error handlers for everything the blueprint's views and hooks raise."""
    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.message, exc.headers, **exc.extra)

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
        return error_response(status, MESSAGES.get(status, exc.description or "Error."), headers)
