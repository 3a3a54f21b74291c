"""Property: no request to any route, web or API, with any values in its URL, query string or body, is answered
with a 5xx; a refusal (4xx) says why and leaves the database as it was.

Every rule of the URL map is walked (a new route is walked without editing this file), logged in with a role that
may use it (the web with a session, the API with a bearer token), with values that are right, nearly right, and
the nasty ones found by hand: integers past 64 bits, lone surrogates, NUL, newlines, 0001-01-01 and 9999-12-31,
full-width digits, ISO week dates, long strings. Bounded for CI: a few examples per route, on each engine.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from helpers import Browser, new_subject, tokens_for_everyone, vs_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ecrf.app import create_app
from ecrf.auth.permissions import API_MATRIX, MATRIX, PUBLIC

#: the role a route is tried with: the first of these that may use it (writers first, so writes are reached)
ROLE_ORDER = ("investigator", "coordinator", "data_manager", "admin", "monitor", "sponsor")
METHODS = ("GET", "POST", "PUT")
EXAMPLES = 4

NASTY = ["", " ", "0", "-1", "1", "2", str(2**31), str(2**63), str(2**64 + 1), "9" * 60, "1_0_0", "+5",
         "\uff11\uff12", "\u0661", "1e999999", "NaN", "\ud800", "a\x00b", "line\nbreak", "/\n/evil", "/%09/evil",
         "0001-01-01", "9999-12-31", "2026-W01-1", "2026-001", "20260101", "2026-02-30", "0202-11-25T10:00",
         "2026-11-20T09:15", "x" * 5000, "<script>", "' OR 1=1 --", "true"]
SEGMENTS = {
    "event_oid": ["SE.SCREENING", "SE.D1", "SE.SUBJECT", "SE.UNSCHED"],
    "form_oid": ["F.VS", "F.IC", "F.DM", "F.AE"],
    "item_oid": ["I.VS.HR", "I.VS.DTC"],
    "user_id": ["1", "2", "3"], "active": ["0", "1"], "token_id": ["1", "2"], "token": ["abc"],
    "code": ["01", "02", "99"],
}
QUERY = ["event_repeat", "repeat", "before", "limit", "from", "to", "user", "action", "scope", "days", "next",
         "subject", "event", "form", "item"]
#: every field a form or a body of the app reads (a route ignores the ones it does not)
FIELDS = ["version", "reason", "reason_code", "reason_note", "population", "approved_on", "scope", "withdrawn_on",
          "note", "password", "override", "decision", "decided_on", "rationale", "site", "event_repeat", "repeat",
          "username", "full_name", "role", "sites", "code", "name", "timezone", "label", "expires_days",
          "current_password", "new_password", "confirm", "dose_level", "overrides", "items", "enrolled_on",
          "meaning", "despite_missing", "event_oid", "form_oid", "form_repeat",
          "full_first_n", "then", "item", "action",
          *vs_values(), "I.IC.DTC", "I.IC.VERDAT", "I.DM.BRTHDAT", "I.DM.SEX"]
#: audit records a refusal commits on purpose: the failed attempt itself (keep_audit)
ATTEMPTS = ("_failed", "lock")


def _routes():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "TESTING": True})
    return sorted({(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
                   for method in METHODS if method in rule.methods})


def _role(endpoint: str) -> str:
    allowed = PUBLIC if endpoint in PUBLIC else MATRIX.get(endpoint, API_MATRIX.get(endpoint, frozenset()))
    return next((r for r in ROLE_ORDER if endpoint in PUBLIC or r in allowed), "admin")


def fingerprint(app) -> tuple[tuple[int, ...], int]:
    """Row counts of every table but the audit's, and the audit chain head's sequence number: one query."""
    from ecrf.infra.extensions import db

    tables = [t.name for t in db.metadata.sorted_tables if t.name not in ("audit_event", "audit_head")]
    counts = " UNION ALL ".join(f"SELECT {n}, COUNT(*) FROM {t}" for n, t in enumerate(tables))
    with app.app_context():
        rows = dict(db.session.execute(text(counts)).all())
        head = db.session.scalar(text("SELECT seq FROM audit_head"))
        db.session.remove()
    return tuple(rows[n] for n in range(len(tables))), head


def _new_actions(app, since: int) -> list[str]:
    from ecrf.infra.extensions import db

    with app.app_context():
        actions = list(db.session.scalars(text("SELECT action FROM audit_event WHERE seq > :s ORDER BY seq"),
                                          {"s": since}))
        db.session.remove()
    return actions


#: the values found by hand to break a page, tried on every parameter of every route
KILLERS = ["99999999999999999999999", str(2**31), "\uff11\uff12", "1_0_0", "+5", "\ud800", "line\nbreak",
           "0001-01-01", "9999-12-31", "2026-W01-1", "x" * 5000]
values = st.one_of(st.sampled_from(KILLERS), st.sampled_from(NASTY), st.text(max_size=40),
                   st.integers(-(2**70), 2**70).map(str))
json_values = st.recursive(st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats()
                           | st.sampled_from(NASTY) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner,
                                                                                       max_size=3), max_leaves=8)


def _right(name: str, subject_key: str) -> list[str]:
    return [subject_key, "NOPE"] if name in ("key", "subject") else SEGMENTS.get(name, ["x"])


def _quote(value: str) -> str:
    # by hand: a lone surrogate must reach the server as the bytes a careless client sends
    return quote(value, safe="", errors="surrogatepass")


def _query_string(query: dict[str, str]) -> str:
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in query.items())


def _has_message(response) -> bool:
    if response.is_json:
        return isinstance(response.json, dict) and bool(str(response.json.get("error", "")).strip())
    body = response.get_data(as_text=True)
    return 'role="alert"' in body or "invalid-feedback" in body


class Walker:
    """Sends one request to a route as its role and checks what every answer must be."""

    def __init__(self, app, subject_key: str):
        self.app, self.key, self.tokens, self.browsers = app, subject_key, tokens_for_everyone(app), {}
        app.config["API_AUTH_FAILURES_PER_MINUTE"] = 10**6  # junk must not end the walk in 429s

    def _browser(self, role: str) -> Browser:
        if role not in self.browsers:
            browser = Browser(self.app.test_client())
            assert browser.login(role).status_code < 500
            self.browsers[role] = browser
        return self.browsers[role]

    def send(self, endpoint: str, method: str, segments: dict[str, str], query: dict[str, str], fields) -> None:
        role = _role(endpoint)
        rule = next(iter(self.app.url_map.iter_rules(endpoint)))
        path = rule.rule
        for name in rule.arguments:  # each placeholder, whatever its converter: <key>, <int:user_id>
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _, v=_quote(segments[name]): v, path, count=1)
        url = path + (f"?{_query_string(query)}" if query else "")
        if endpoint.startswith("api."):
            before = fingerprint(self.app)
            body = json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass")
            response = self.app.test_client().open(url, method=method, data=body if method != "GET" else None,
                                                   content_type="application/json",
                                                   headers={"Authorization": f"Bearer {self.tokens[role]}"})
        else:
            browser = self._browser(role)
            before = fingerprint(self.app)
            if method == "GET":
                response = browser.client.get(url)
            else:
                form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in dict(fields).items()}
                response = browser.client.post(url, data=_query_string({"csrf_token": browser.csrf(), **form}),
                                               content_type="application/x-www-form-urlencoded")
            if endpoint.startswith("auth.") or response.status_code in (302, 401) and "/login" in \
                    response.headers.get("Location", ""):
                self.browsers.pop(role, None)  # logged out, or a new password: log in again next time
        self.check(method, url, response, before)

    def check(self, method: str, url: str, response, before) -> None:
        status = response.status_code
        where = (method, url[:200], status)
        assert status < 500, (*where, response.get_data(as_text=True)[:500])
        if 400 <= status < 500:
            assert _has_message(response), (*where, response.get_data(as_text=True)[:500])
            counts, _ = fingerprint(self.app)
            assert counts == before[0], (*where, "a refused request changed the database")
            kept = _new_actions(self.app, before[1])
            assert all(any(a in action for a in ATTEMPTS) for action in kept), (*where, kept)


@pytest.fixture
def walker(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
        db.session.remove()
    return Walker(app, key)


ROUTES = _routes()
TEXT_FORM = {"event_oid": "SE.SUBJECT", "form_oid": "F.AE"}
TEXT_FORM_ITEMS = ("I.AE.TERM", "I.AE.PATHOGEN", "I.AE.STDAT")


@pytest.mark.parametrize(("endpoint", "method"), ROUTES)
def test_the_known_killers_break_no_route(app, walker, endpoint, method):
    """Each value found by hand, in every query argument and field at once, then in every URL segment."""
    rule = next(iter(app.url_map.iter_rules(endpoint)))
    right = {name: _right(name, walker.key)[0] for name in rule.arguments}
    for killer in KILLERS:
        fields = {f: killer for f in FIELDS} if method != "GET" else {}
        walker.send(endpoint, method, right, {q: killer for q in QUERY}, fields)
        if rule.arguments:
            walker.send(endpoint, method, dict.fromkeys(rule.arguments, killer), {}, {})
        if "form_oid" in rule.arguments and method != "GET":  # a form of text items, and a body as the API's
            items = dict.fromkeys(TEXT_FORM_ITEMS, killer)
            body = {"version": 0, "items": items} if endpoint.startswith("api.") else items
            walker.send(endpoint, method, {**right, **TEXT_FORM}, {}, body)


@pytest.mark.parametrize(("endpoint", "method"), ROUTES)
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_input_makes_a_server_error(app, walker, endpoint, method, data):
    rule = next(iter(app.url_map.iter_rules(endpoint)))
    segments = {name: data.draw(st.one_of(st.sampled_from(_right(name, walker.key)), values), label=name)
                for name in rule.arguments}
    query = data.draw(st.dictionaries(st.sampled_from(QUERY), values, max_size=4), label="query")
    if endpoint.startswith("api."):
        fields = data.draw(st.one_of(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5), json_values),
                           label="body")
    else:
        fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), values, max_size=6), label="form")
    walker.send(endpoint, method, segments, query, fields if method != "GET" else {})
