"""Per-request API security: body size, bearer token authentication, failure throttling, the permission matrix.

The web layer skips its login and permission checks for this blueprint; these hooks replace them.
Failed authentications are audit events, and the throttle counts them in the database, so the limit
holds across worker processes without a table of its own. Only failures are throttled, per client: a valid
token is never held back by other clients' failures, even when every client reaches the app through one
proxy address. A token acts for its account: a locked or deactivated account's tokens are refused.

A request commits once. Authenticating a token may touch its ``last_used_at`` (at most every few minutes);
that write joins the request's unit of work. A request that commits nothing else (a read, a refusal) commits
the touch alone after its view, and only when there was one.
"""
from __future__ import annotations

import re

from flask import Blueprint, current_app, g, request, session
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from ecrf.api.errors import ApiError
from ecrf.api.inputs import check_length
from ecrf.audit.context import Actor, set_actor
from ecrf.audit.trail import record
from ecrf.auth import throttle, tokens
from ecrf.auth.models import ApiToken
from ecrf.auth.permissions import allowed
from ecrf.infra.extensions import db
from ecrf.study.clock import utcnow

FAILED = "api_auth_failed"
_PREFIX = re.compile(rf"[A-Za-z0-9_-]{{1,{tokens.PREFIX_LENGTH}}}")

MESSAGE_401 = {
    "missing": "A valid API token is required: send it as 'Authorization: Bearer <token>'.",
    "expired": "This API token has expired.",
    "revoked": "This API token was revoked.",
    "invalid": "This API token is not valid.",
    "locked_user": "The account of this API token is locked after repeated wrong passwords; try again later.",
}


def register(bp: Blueprint) -> None:
    """Install the hooks on the API blueprint."""
    bp.before_request(_guard)
    bp.after_request(_keep_touch)
    bp.after_app_request(_stateless)  # also for /api/ URLs that match no route


def current_user():
    """The user the request's token acts for."""
    return g.api_user


def _guard() -> None:
    check_length()
    if allowed(request.endpoint, None):
        return  # public (the OpenAPI document)
    address = (request.remote_addr or "unknown")[:60]
    user = _authenticate(address)
    set_actor(db.session, Actor.of(user))
    g.api_user = user
    if not allowed(request.endpoint, user.role):
        raise ApiError(403, f"The role {user.role} may not use this operation.")


def _stateless(response):
    """API responses are not cached and keep no session: a cookie-less request gets no cookie back."""
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
        if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            session.clear()
            session.modified = False
    return response


def _client(address: str) -> str:
    """The audit username of an unauthenticated client."""
    return throttle.client_name(address)


def _throttle(address: str) -> None:
    """429 when ``address`` failed to authenticate API_AUTH_FAILURES_PER_MINUTE times within the last minute."""
    wait = throttle.seconds_to_wait(db.session, _client(address), (FAILED,),
                                    current_app.config["API_AUTH_FAILURES_PER_MINUTE"])
    if wait is not None:
        raise ApiError(429, headers={"Retry-After": str(wait)})


def _authenticate(address: str):
    scheme, _, raw = request.headers.get("Authorization", "").strip().partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        _fail(address, "missing", None)
    result = tokens.check(db.session, raw)
    if result.token is None:
        _fail(address, result.problem, raw)
    return result.token.user


#: session.info key: ("pending" | "lost", token id) of a last_used_at touch not yet committed
TOUCH = "ecrf.api.token_touch"


@event.listens_for(ApiToken, "after_update")
def _touched(mapper, connection, token: ApiToken) -> None:
    session = object_session(token)
    if session is not None:
        session.info[TOUCH] = ("pending", token.id)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(TOUCH, None)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    if TOUCH in session.info:  # a refusal rolled the touch back with the rest of the request
        session.info[TOUCH] = ("lost", session.info[TOUCH][1])


def _keep_touch(response):
    """Commit the token's touch when nothing else committed it: once, and only if there was one."""
    state = db.session.info.pop(TOUCH, None)
    if state is not None:
        kind, token_id = state
        if kind == "lost":
            token = db.session.get(ApiToken, token_id)
            token.last_used_at = utcnow()
        db.session.commit()
    return response


def _fail(address: str, problem: str, raw: str | None) -> None:
    """401 for a failed authentication, recorded; 429 instead, unrecorded, once the client failed too often."""
    _throttle(address)
    prefix = raw[:tokens.PREFIX_LENGTH] if raw else None
    set_actor(db.session, Actor(None, _client(address), None))
    record(db.session, FAILED, "api_token", entity_key=address, new={
        "problem": problem, "prefix": prefix if prefix and _PREFIX.fullmatch(prefix) else None})
    db.session.commit()
    raise ApiError(401, MESSAGE_401.get(problem, MESSAGE_401["invalid"]))

