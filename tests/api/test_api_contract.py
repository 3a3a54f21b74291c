"""The contract: every route of the route table, called live, answers as the OpenAPI document it serves says.

Each call's status must be one the operation declares, and its body must validate against the schema declared for
that status (reply models forbid undeclared fields and require all of theirs). Every route is called at least once
with a valid request and once with a refused one, so a route missing from here, or from the document, fails.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from api_helpers import API, VS_API
from helpers import PASSWORD, vs_values
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from test_api_trial import DECISION, ICF, WITHDRAWAL, _confirm, _demographics, _open_codes

from ecrf.api.routing import ROUTES

VS = VS_API.removeprefix(API)
CHEM = VS.replace("F.VS", "F.CHEM")


@dataclass(frozen=True)
class Call:
    """One live request: endpoint, method, path (``{key}``: the site-01 subject, ``{token}``: the prefix of the
    caller's token), who sends it, what it sends."""

    endpoint: str
    method: str
    path: str
    status: int
    who: str | None = "investigator"
    body: object = None
    #: run before the request, with the app and the subject key; returns the body when ``body`` is None
    prepare: Callable | None = field(default=None, compare=False)
    raw: bytes | None = None


def _query(state: str, step_body: dict | None = None):
    """A prepare: F.VS stored for the subject and query 1 on I.VS.HR (a monitor's) moved to ``state``."""
    def prepare(app, key):
        from helpers import ctx
        from sqlalchemy import select

        from ecrf.auth.models import User
        from ecrf.capture import services as capture
        from ecrf.infra.extensions import db
        from ecrf.queries import services
        from ecrf.subjects.models import Subject

        with app.app_context():
            s = db.session
            people = {u.username: u for u in s.scalars(select(User))}
            t = capture.resolve(s.scalar(select(Subject).where(Subject.key == key)), "SE.SCREENING", "F.VS")
            capture.save_form(s, t, vs_values(), version=0, user_id=None, ctx=ctx())
            q = services.raise_query(s, t, "I.VS.HR", "Source?", people["monitor"])
            for step, who in {"answered": [("answer", "coordinator")],
                              "closed": [("answer", "coordinator"), ("close", "monitor")]}.get(state, []):
                services.step(s, q, step, "noted", people[who])
            s.commit()
            s.remove()
        return step_body or {"text": "noted"}
    return prepare


LOCK = {"scope": "site", "level": "frozen", "site": "01", "reason": "interim analysis"}


def _lock(app, key) -> None:
    """The same site freeze as LOCK, made by the data manager (lock 1)."""
    from sqlalchemy import select

    from ecrf.auth.models import Site, User
    from ecrf.capture import locks
    from ecrf.infra.extensions import db

    with app.app_context():
        manager = db.session.scalar(select(User).where(User.username == "data_manager"))
        site = db.session.scalar(select(Site).where(Site.code == "01"))
        locks.close(db.session, manager, scope="site", level="frozen", reason="interim analysis", site=site)
        db.session.commit()


def _eligibility_body(app, key):
    _demographics(app, key)
    return {"password": PASSWORD, "overrides": _open_codes(app, key), "reason": "source documents checked",
            "despite_missing": True}


SIGN = {"scope": "casebook", "meaning": "I approve the data in this casebook as accurate and complete",
        "password": PASSWORD, "despite_missing": True}


def _signed(app, key):
    """A casebook signature, broken by a later change."""
    from sqlalchemy import select

    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db
    from ecrf.signatures import services
    from ecrf.signatures.coverage import Scope
    from ecrf.subjects.models import Subject

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        subject = db.session.scalar(select(Subject).where(Subject.key == key))
        user = db.session.scalar(select(User).where(User.username == "investigator"))
        services.sign(db.session, user, subject, Scope.casebook(), SIGN["meaning"], meanings=(SIGN["meaning"],),
                      password=PASSWORD, despite_missing=True)
        db.session.commit()
        db.session.remove()
    _demographics(app, key)


def _serious_ae(app, key):
    """A serious adverse event of the subject, with its initial report on the SAE report log."""
    from safety_helpers import save_ae, serious
    from sqlalchemy import select

    from ecrf.audit.context import Actor, set_actor
    from ecrf.capture import services as capture
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        subject = db.session.scalar(select(Subject).where(Subject.key == key))
        save_ae(db.session, subject, serious())
        from helpers import ctx

        capture.save_form(db.session, capture.resolve(subject, "SE.SUBJECT", "F.SAERPT"),
                          {"I.SAERPT.AENO": "1", "I.SAERPT.TYPE": "INITIAL", "I.SAERPT.SENTDTC": "2026-11-12T20:00",
                           "I.SAERPT.RECIP": "SPONSOR"}, version=0, user_id=None, ctx=ctx())
        db.session.commit()
        db.session.remove()


def _vs_saved(body):
    """A prepare step: vital signs saved on the site-01 subject, then ``body``."""
    def prepare(app, key):
        from helpers import save

        from ecrf.infra.extensions import db
        from ecrf.subjects.models import Subject

        with app.app_context():
            save(db.session, db.session.query(Subject).filter_by(key=key).one(), "F.VS", vs_values())
            db.session.remove()
        return body
    return prepare


def _sledai_saved(app, key):
    """A prepare step: a SLEDAI-2K and a PGA at screening, so the efficacy reply has a visit."""
    from helpers import save, sledai_values

    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        subject = db.session.query(Subject).filter_by(key=key).one()
        save(db.session, subject, "F.SLEDAI", sledai_values("rash"))
        save(db.session, subject, "F.PGA", {"I.PGA.DAT": "2026-11-02", "I.PGA.SCORE": "1.5"})
        db.session.remove()


CALLS = [
    # the document itself
    Call("api.openapi", "GET", "/openapi.json", 200, who=None),
    Call("api.openapi", "GET", "/openapi.json", 413, who=None, raw=b"x" * (1024 * 1024 + 1)),
    # the study, subjects, forms and audit trail
    Call("api.study", "GET", "/study", 200, who="monitor"),
    Call("api.study", "GET", "/study", 401, who=None),
    Call("api.dashboard", "GET", "/dashboard", 200, who="monitor"),
    Call("api.dashboard", "GET", "/dashboard", 200, who="sponsor"),
    Call("api.dashboard", "GET", "/dashboard", 403, who="admin"),
    Call("api.subjects", "GET", "/subjects", 200, who="sponsor"),
    Call("api.subjects", "GET", "/subjects", 403, who="admin"),
    Call("api.subject", "GET", "/subjects/{key}", 200),
    Call("api.subject", "GET", "/subjects/01-S999", 404),
    Call("api.create_subject", "POST", "/subjects", 201, who="coordinator", body={"site": "01"}),
    Call("api.create_subject", "POST", "/subjects", 403, who="coordinator", body={"site": "02"}),
    Call("api.create_subject", "POST", "/subjects", 404, who="coordinator", body={"site": "99"}),
    Call("api.create_subject", "POST", "/subjects", 422, who="coordinator", body={"site": 1, "kind": "x"}),
    Call("api.create_subject", "POST", "/subjects", 400, who="coordinator", body=["01"]),
    Call("api.create_subject", "POST", "/subjects", 403, who="monitor", body={"site": "01"}),
    Call("api.form", "GET", VS, 200, who="data_manager"),
    Call("api.form", "GET", VS + "?repeat=abc", 400),
    Call("api.form", "GET", VS.replace("F.VS", "F.NOPE"), 404),
    Call("api.save_form", "PUT", VS, 200, who="coordinator", body={"version": 0, "items": vs_values()}),
    Call("api.save_form", "PUT", VS, 409, who="coordinator", body={"version": 7, "items": vs_values()}),
    Call("api.save_form", "PUT", VS, 422, who="coordinator", body={"version": 0, "items": {"I.VS.HR": "abc"}}),
    Call("api.save_form", "PUT", VS, 422, who="coordinator", body={"version": "0", "items": [], "x": 1}),
    Call("api.save_form", "PUT", VS, 400, who="coordinator", body={"version": 0, "items": {"I.VS.NOPE": "1"}}),
    Call("api.subject_audit", "GET", "/subjects/{key}/audit?limit=3", 200, who="monitor"),
    Call("api.subject_audit", "GET", "/subjects/{key}/audit?limit=0", 400, who="monitor"),
    Call("api.form_audit", "GET", VS + "/audit?limit=5", 200, who="monitor"),
    Call("api.form_audit", "GET", VS + "/audit?before=x", 400, who="monitor"),
    Call("api.form_audit", "GET", VS.replace("SE.SCREENING", "SE.NOPE") + "/audit", 404, who="monitor"),
    Call("api.item_audit", "GET", VS + "/items/I.VS.HR/audit", 200, who="sponsor"),
    Call("api.item_audit", "GET", VS + "/items/I.VS.NOPE/audit", 404, who="sponsor"),
    Call("api.item_audit", "GET", VS + "/items/I.VS.HR/audit", 403, who="admin"),
    # the web's other pages and actions
    Call("api.calculate", "POST", CHEM + "/calculate", 200, who="coordinator",
         body={"items": {"I.CHEM.CREATORRES": 50, "I.CHEM.CREATU": "umol/L", "I.CHEM.DTC": "2026-11-02"}}),
    Call("api.calculate", "POST", CHEM + "/calculate", 400, who="coordinator", body={"items": {"I.VS.HR": "1"}}),
    Call("api.calculate", "POST", CHEM + "/calculate", 422, who="coordinator", body={"items": {}, "version": 1}),
    Call("api.calculate", "POST", CHEM + "/calculate", 403, who="monitor", body={"items": {}}),
    Call("api.casebook", "GET", "/subjects/{key}/casebook", 200, who="monitor"),
    Call("api.casebook", "GET", "/subjects/01-S999/casebook", 404, who="monitor"),
    Call("api.screening_log", "GET", "/screening-log", 200, who="coordinator"),
    Call("api.screening_log", "GET", "/screening-log", 403, who="admin"),
    Call("api.calendar", "GET", "/calendar?days=60", 200, who="data_manager"),
    Call("api.calendar", "GET", "/calendar?days=-1", 400, who="data_manager"),
    Call("api.list_tokens", "GET", "/tokens", 200, who="admin"),
    Call("api.list_tokens", "GET", "/tokens", 401, who="revoked"),
    Call("api.revoke_token", "POST", "/tokens/{token}/revoke", 200, who="coordinator", body={}),
    Call("api.revoke_token", "POST", "/tokens/ecrf_zzzzz/revoke", 404, who="coordinator", body={}),
    Call("api.revoke_token", "POST", "/tokens/{token}/revoke", 422, who="coordinator", body={"all": True}),
    # the trial's path
    Call("api.eligibility", "GET", "/subjects/{key}/eligibility", 200),
    Call("api.eligibility", "GET", "/subjects/NOPE/eligibility", 404),
    Call("api.confirm_eligibility", "POST", "/subjects/{key}/eligibility", 201, prepare=_eligibility_body),
    Call("api.confirm_eligibility", "POST", "/subjects/{key}/eligibility", 403, body={"password": "wrong"}),
    Call("api.confirm_eligibility", "POST", "/subjects/{key}/eligibility", 422, body={"overrides": "IN1"}),
    Call("api.enrol", "POST", "/subjects/{key}/enrolment", 201, body={}, prepare=lambda app, key: _confirm(app, key)),
    Call("api.enrol", "POST", "/subjects/{key}/enrolment", 409, body={}),
    Call("api.screen_failure", "POST", "/subjects/{key}/screen-failure", 201, body={"reason": "LVEF 45 %"}),
    Call("api.screen_failure", "POST", "/subjects/{key}/screen-failure", 409, body={"reason": "   "}),
    Call("api.withdraw_consent", "POST", "/subjects/{key}/withdrawals", 201, body=WITHDRAWAL),
    Call("api.withdraw_consent", "POST", "/subjects/{key}/withdrawals", 422, body={"scope": "all"}),
    Call("api.mark_not_done", "POST", "/subjects/{key}/events/SE.D1/not-done", 201, body={"reason": "ill"}),
    Call("api.mark_not_done", "POST", "/subjects/{key}/events/SE.NOPE/not-done", 404, body={"reason": "ill"}),
    Call("api.dose_levels", "GET", "/dose-levels", 200, who="sponsor"),
    Call("api.dose_levels", "GET", "/dose-levels", 401, who="expired"),
    Call("api.record_dose_decision", "POST", "/dose-levels/decisions", 201, who="data_manager", body=DECISION),
    Call("api.record_dose_decision", "POST", "/dose-levels/decisions", 422, who="data_manager",
         body={**DECISION, "decided_on": "tomorrow"}),
    Call("api.icf_versions", "GET", "/icf-versions", 200, who="monitor"),
    Call("api.icf_versions", "GET", "/icf-versions", 403, who="admin"),
    Call("api.register_icf_version", "POST", "/icf-versions", 201, who="data_manager", body=ICF),
    Call("api.register_icf_version", "POST", "/icf-versions", 409, who="data_manager", body={**ICF, "version": ""}),
    # electronic signatures
    Call("api.signatures", "GET", "/subjects/{key}/signatures", 200, who="monitor", prepare=_signed),
    Call("api.signatures", "GET", "/subjects/01-S999/signatures", 404, who="monitor"),
    Call("api.sign", "POST", "/subjects/{key}/signatures", 201, body=SIGN),
    Call("api.sign", "POST", "/subjects/{key}/signatures", 403, body={**SIGN, "password": "wrong"}),
    Call("api.sign", "POST", "/subjects/{key}/signatures", 403, who="coordinator", body=SIGN),
    Call("api.sign", "POST", "/subjects/{key}/signatures", 409, body={**SIGN, "despite_missing": False}),
    Call("api.sign", "POST", "/subjects/{key}/signatures", 404, body={**SIGN, "scope": "visit", "event_oid": "SE.NO"}),
    Call("api.sign", "POST", "/subjects/{key}/signatures", 422, body={**SIGN, "despite_missing": "yes"}),
    Call("api.signature_worklist", "GET", "/signatures", 200, who="data_manager", prepare=_signed),
    Call("api.signature_worklist", "GET", "/signatures", 403, who="admin"),
    Call("api.saes", "GET", "/saes", 200, who="sponsor", prepare=_serious_ae),
    Call("api.saes", "GET", "/saes", 403, who="admin"),
    # source-data verification
    Call("api.form_sdv", "GET", VS + "/sdv", 200, who="monitor", prepare=_vs_saved(None)),
    Call("api.form_sdv", "GET", VS.replace("F.VS", "F.NOPE") + "/sdv", 404, who="monitor"),
    Call("api.item_sdv", "GET", VS + "/items/I.VS.HR/sdv", 200, who="sponsor"),
    Call("api.item_sdv", "GET", VS + "/items/I.VS.NOPE/sdv", 404, who="sponsor"),
    Call("api.verify_items", "POST", VS + "/sdv/items", 200, who="monitor",
         prepare=_vs_saved({"items": ["I.VS.HR"]})),
    Call("api.verify_items", "POST", VS + "/sdv/items", 422, who="monitor",
         prepare=_vs_saved({"items": ["I.VS.NOPE"]})),
    Call("api.verify_items", "POST", VS + "/sdv/items", 422, who="monitor", body={"items": []}),
    Call("api.verify_items", "POST", VS + "/sdv/items", 403, who="coordinator", body={"items": ["I.VS.HR"]}),
    Call("api.verify_form", "POST", VS + "/sdv/form", 200, who="monitor", prepare=_vs_saved({})),
    Call("api.verify_form", "POST", VS + "/sdv/form", 422, who="monitor", body={}),
    Call("api.verify_form", "POST", VS + "/sdv/form", 403, who="data_manager", body={}),
    Call("api.sdv_worklist", "GET", "/sdv/worklist", 200, who="monitor", prepare=_vs_saved(None)),
    Call("api.sdv_worklist", "GET", "/sdv/worklist?site=99", 404, who="monitor"),
    Call("api.sdv_worklist", "GET", "/sdv/worklist?site=02", 403, who="monitor"),
    Call("api.sdv_progress", "GET", "/sdv/progress", 200, who="sponsor", prepare=_vs_saved(None)),
    Call("api.sdv_progress", "GET", "/sdv/progress", 403, who="admin"),
    Call("api.sdv_plan", "GET", "/sites/01/sdv-plan", 200, who="monitor"),
    Call("api.sdv_plan", "GET", "/sites/99/sdv-plan", 404, who="monitor"),
    Call("api.set_sdv_plan", "PUT", "/sites/01/sdv-plan", 200, who="data_manager",
         body={"full_first_n": 2, "then": "all"}),
    Call("api.set_sdv_plan", "PUT", "/sites/01/sdv-plan", 422, who="data_manager",
         body={"full_first_n": -1, "then": "most"}),
    Call("api.set_sdv_plan", "PUT", "/sites/01/sdv-plan", 403, who="coordinator",
         body={"full_first_n": 2, "then": "all"}),
    Call("api.set_sdv_plan", "PUT", "/sites/02/sdv-plan", 403, who="data_manager",
         body={"full_first_n": 2, "then": "all"}),
    # queries
    Call("api.query_counts", "GET", "/query-counts", 200, who="sponsor"),
    Call("api.query_counts", "GET", "/query-counts", 403, who="admin"),
    Call("api.list_queries", "GET", "/queries?state=open", 200, who="monitor", prepare=_query("open")),
    Call("api.list_queries", "GET", "/queries?state=nope", 400, who="monitor"),
    Call("api.query", "GET", "/queries/1", 200, who="coordinator", prepare=_query("answered")),
    Call("api.query", "GET", "/queries/1", 404, who="coordinator"),
    Call("api.raise_query", "POST", VS + "/items/I.VS.HR/queries", 201, who="monitor",
         prepare=lambda app, key: _query("open")(app, key) and {"text": "And the second reading?"}),
    Call("api.raise_query", "POST", VS + "/items/I.VS.NOPE/queries", 404, who="monitor", body={"text": "x"},
         prepare=_query("open")),
    Call("api.raise_query", "POST", VS + "/items/I.VS.HR/queries", 422, who="monitor", body={"text": ""},
         prepare=_query("open")),
    Call("api.answer_query", "POST", "/queries/1/answer", 200, who="coordinator", prepare=_query("open")),
    Call("api.answer_query", "POST", "/queries/1/answer", 409, who="coordinator", prepare=_query("closed")),
    Call("api.close_query", "POST", "/queries/1/close", 200, who="monitor", prepare=_query("answered")),
    Call("api.close_query", "POST", "/queries/1/close", 403, who="data_manager", prepare=_query("answered")),
    Call("api.cancel_query", "POST", "/queries/1/cancel", 200, who="monitor", prepare=_query("open")),
    Call("api.cancel_query", "POST", "/queries/1/cancel", 404, who="monitor", body={"text": "x"}),
    Call("api.reopen_query", "POST", "/queries/1/reopen", 200, who="monitor", prepare=_query("closed")),
    Call("api.reopen_query", "POST", "/queries/1/reopen", 409, who="monitor", prepare=_query("open")),
    # freeze and lock
    Call("api.locks", "GET", "/locks", 200, who="monitor", prepare=lambda app, key: _lock(app, key)),
    Call("api.locks", "GET", "/locks", 403, who="admin"),
    Call("api.create_lock", "POST", "/locks", 201, who="data_manager", body=LOCK),
    Call("api.create_lock", "POST", "/locks", 422, who="data_manager", body={**LOCK, "reason": ""}),
    Call("api.create_lock", "POST", "/locks", 403, who="investigator", body=LOCK),
    Call("api.create_lock", "POST", "/locks", 409, who="data_manager", body=LOCK,
         prepare=lambda app, key: _lock(app, key)),
    Call("api.undo_lock", "POST", "/locks/1/undo", 200, who="data_manager", body={"reason": "reopened"},
         prepare=lambda app, key: _lock(app, key)),
    Call("api.undo_lock", "POST", "/locks/99/undo", 404, who="data_manager", body={"reason": "reopened"}),
    Call("api.undo_lock", "POST", "/locks/1/undo", 422, who="data_manager", body={"reason": "  "},
         prepare=lambda app, key: _lock(app, key)),
    Call("api.undo_lock", "POST", "/locks/1/undo", 403, who="monitor", body={"reason": "reopened"},
         prepare=lambda app, key: _lock(app, key)),
    Call("api.save_form", "PUT", VS, 423, who="coordinator",
         body={"version": 0, "items": vs_values()}, prepare=lambda app, key: _lock(app, key)),
    Call("api.mark_not_done", "POST", "/subjects/{key}/events/SE.D1/not-done", 423, body={"reason": "ill"},
         prepare=lambda app, key: _lock(app, key)),
]


def _job(done: bool):
    """A prepare: the data manager's ODM export job 1, run at once (``done``) or left queued."""
    def prepare(app, key):
        from sqlalchemy import select

        from ecrf.auth.models import User
        from ecrf.exports.scope import request_for
        from ecrf.infra.extensions import db
        from ecrf.jobs import services

        app.config["JOBS_IMMEDIATE"] = done
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "data_manager"))
            services.submit(db.session, request_for(db.session, user, "odm"))
            db.session.commit()
            db.session.remove()
        return None
    return prepare


#: routes that answer a file when they succeed
FILES = ("api.export_file", "api.casebook_pdf", "api.blank_crf_pdf")
CALLS += [
    Call("api.exports", "GET", "/exports", 200, who="investigator"),
    Call("api.exports", "GET", "/exports", 403, who="admin"),
    Call("api.ask_export", "POST", "/exports", 202, who="data_manager", body={"kind": "odm", "site": "01"}),
    Call("api.ask_export", "POST", "/exports", 403, who="coordinator", body={"kind": "odm"}),
    Call("api.ask_export", "POST", "/exports", 422, who="data_manager", body={"kind": ""}),
    Call("api.export_job", "GET", "/exports/1", 200, who="data_manager", prepare=_job(False)),
    Call("api.export_job", "GET", "/exports/999", 404, who="data_manager"),
    Call("api.export_file", "GET", "/exports/1/file", 200, who="data_manager", prepare=_job(True)),
    Call("api.export_file", "GET", "/exports/1/file", 409, who="data_manager", prepare=_job(False)),
    Call("api.casebook_pdf", "GET", "/subjects/{key}/casebook.pdf", 200, who="sponsor"),
    Call("api.casebook_pdf", "GET", "/subjects/NOPE/casebook.pdf", 404, who="sponsor"),
    Call("api.blank_crf_pdf", "GET", "/crf/blank.pdf?annotated=true", 200, who="monitor"),
    Call("api.blank_crf_pdf", "GET", "/crf/blank.pdf?annotated=maybe", 400, who="monitor"),
    # efficacy
    Call("api.subject_efficacy", "GET", "/subjects/{key}/efficacy", 200, who="sponsor",
         prepare=_sledai_saved),
    Call("api.subject_efficacy", "GET", "/subjects/01-S999/efficacy", 404, who="monitor"),
]


def _document(api) -> dict:
    response = api.get(API + "/openapi.json")
    assert response.status_code == 200
    return response.json


def _declared(doc: dict, method: str, path: str, status: int) -> dict:
    """The response the document declares for ``status`` of the operation; fails when either is undeclared."""
    template = path.split("?")[0]
    operations = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    matches = [(p, m) for p, m in operations if m == method.lower() and _matches(p, API + template)]
    assert len(matches) == 1, f"{method} {template} is not in the document"
    operation = doc["paths"][matches[0][0]][method.lower()]
    assert str(status) in operation["responses"], f"{method} {template} does not declare {status}"
    response = operation["responses"][str(status)]
    if "$ref" in response:
        response = _lookup(doc, response["$ref"])
    return response


def _response_schema(doc: dict, method: str, path: str, status: int) -> dict:
    """The JSON schema the document declares for ``status`` of the operation."""
    return _declared(doc, method, path, status)["content"]["application/json"]["schema"]


def _is_file(doc: dict, method: str, path: str, status: int) -> bool:
    return "application/json" not in _declared(doc, method, path, status)["content"]


def _lookup(doc: dict, ref: str) -> dict:
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _matches(template: str, path: str) -> bool:
    a, b = template.split("/"), path.split("/")
    return len(a) == len(b) and all(x == y or (x.startswith("{") and x.endswith("}")) for x, y in zip(a, b))


def validate(doc: dict, schema: dict, body) -> None:
    """``body`` against ``schema``, whose references point into the document's components."""
    validator = Draft202012Validator({**schema, "components": doc["components"]},
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    validator.validate(body)


def _send(app, api, tokens, keys, call: Call):
    key = keys["01"]
    body = call.body
    if call.prepare is not None:
        prepared = call.prepare(app, key)
        body = prepared if body is None else body
    token = tokens[call.who] if call.who else None
    url = API + call.path.format(key=key, token=(token or "")[:10])  # {token}: the prefix of the caller's token
    if call.raw is not None:
        return api.request(call.method, url, token=token, data=call.raw, content_type="application/json")
    return api.request(call.method, url, token=token, json=body)


def test_every_route_is_called_with_a_valid_and_a_refused_request():
    table = {r.endpoint for r in ROUTES}
    succeeding = {c.endpoint for c in CALLS if c.status < 300}
    refused = {c.endpoint for c in CALLS if c.status >= 400}
    assert succeeding == table and refused == table


def test_every_route_of_the_app_is_in_the_document(app, api):
    doc = _document(api)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule).removeprefix(API)
                assert _declared(doc, method, path, 200 if method == "GET" else _ok(rule.endpoint))["content"]


def _ok(endpoint: str) -> int:
    return next(c.status for c in CALLS if c.endpoint == endpoint and c.status < 300)


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.endpoint}-{c.status}")
def test_the_answer_is_as_documented(app, api, tokens, keys, call):
    doc = _document(api)
    response = _send(app, api, tokens, keys, call)
    assert response.status_code == call.status, response.get_data(as_text=True)[:500]
    if _is_file(doc, call.method, call.path, call.status):  # a file: of a declared type, and not empty
        try:
            assert response.mimetype in _declared(doc, call.method, call.path, call.status)["content"]
            assert response.data
        finally:
            response.close()  # a job's file is streamed
        return
    assert response.is_json
    validate(doc, _response_schema(doc, call.method, call.path, call.status), response.json)
    if call.status >= 400:
        assert response.json["status"] == call.status and response.json["error"]


@pytest.mark.parametrize("call", [c for c in CALLS if c.status < 300 and c.endpoint not in ("api.openapi", *FILES)],
                         ids=lambda c: c.endpoint)
def test_the_check_refuses_an_undeclared_field_and_a_missing_one(app, api, tokens, keys, call):
    """The validation above could fail: the same body with one field more, or one required field less, does."""
    doc = _document(api)
    response = _send(app, api, tokens, keys, call)
    schema = _response_schema(doc, call.method, call.path, call.status)
    declared = _lookup(doc, schema["$ref"])
    with pytest.raises(ValidationError, match="Additional properties"):
        validate(doc, schema, {**response.json, "undeclared": 1})
    for name in declared["required"]:
        with pytest.raises(ValidationError, match="required"):
            validate(doc, schema, {k: v for k, v in response.json.items() if k != name})
