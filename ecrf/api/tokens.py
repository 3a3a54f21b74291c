"""The caller's own API tokens: list them, revoke one. Creating a token stays on the web page and the CLI."""
from __future__ import annotations

import re

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.routing import reply, route
from ecrf.auth import tokens
from ecrf.auth.models import ApiToken
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work

_PREFIX = re.compile(rf"{tokens.SCHEME}[A-Za-z0-9_-]{{{tokens.PREFIX_LENGTH - len(tokens.SCHEME)}}}")


def token_model(row: ApiToken) -> out.Token:
    """A token as its owner sees it: never its hash."""
    return out.Token(prefix=row.prefix, label=row.label, status=tokens.status(row), created_at=row.created_at,
                     expires_at=row.expires_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at)


def _own() -> list[ApiToken]:
    # an administrator's web page lists everyone's tokens; through the API a token sees only its own user's,
    # so that a leaked admin token does not reveal (or end) other people's access
    user = current_user()
    return [t for t in tokens.visible(db.session, user) if t.user_id == user.id]


@route("/tokens", "GET", summary="Your API tokens, newest first", ok=out.TokenList,
       description="Your own tokens, with their state; never the token or its hash. A token is not created "
                   "through the API: a token that mints tokens would turn one leak into many. Create one on the "
                   "web page 'API tokens' or with `ecrf create-token`.")
def list_tokens():
    return reply(out.TokenList(tokens=[token_model(t) for t in _own()]))


@route("/tokens/<prefix>/revoke", "POST", summary="Revoke one of your API tokens", ok=out.Token,
       body=bodies.Empty, errors=(404, 409),
       description="Named by its prefix as GET /tokens lists it; it stops working at once (even when it is the "
                   "token of this request). Revoking a revoked token changes nothing and answers it as it is. "
                   "404 for a prefix none of your tokens has; 409 when two of yours share it (revoke on the web "
                   "page).")
def revoke_token(prefix: str):
    if not _PREFIX.fullmatch(prefix):
        raise ApiError(404, "You have no token with this prefix.")
    inputs.body(bodies.Empty)
    matching = [t for t in _own() if t.prefix == prefix]
    if not matching:
        raise ApiError(404, "You have no token with this prefix.")
    if len(matching) > 1:
        raise ApiError(409, "Several of your tokens have this prefix: revoke the one you mean on the web page.")
    row = matching[0]
    unit_of_work(db.session, lambda: tokens.revoke(db.session, row))
    return reply(token_model(row))
