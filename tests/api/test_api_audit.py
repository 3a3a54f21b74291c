"""The subject audit trail through the API, and the audit records an API write leaves (the same as the web's)."""
from __future__ import annotations

import json
from datetime import datetime

from api_helpers import API, VS_API, audit_rows
from helpers import VS_URL, legacy_reason_row, new_subject, vs_values
from sqlalchemy import select

SHAPE = ("action", "entity", "site_code", "event_oid", "form_oid", "item_oid", "old_value", "new_value", "reason")


def _shape(row, key: str) -> tuple:
    """A record without who/when/ids: what an API and a web write must agree on."""
    out = {f: getattr(row, f) for f in SHAPE}
    out["entity_key"] = row.entity_key.replace(key, "<subject>")
    for f in ("old_value", "new_value"):
        if row.entity != "item_data" and out[f]:
            out[f] = {k: v for k, v in json.loads(out[f]).items() if not k.endswith(("_id", "_at"))}
    return tuple(sorted((k, repr(v)) for k, v in out.items()))


def _written_since(app, key, seq):
    rows = [r for r in audit_rows(app, subject_key=key) if r.seq > seq]
    return sorted(rows, key=lambda r: (r.entity, r.item_oid or ""))


def test_an_api_write_is_audited_like_a_web_write(app, api, tokens, keys, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        web_key, api_key = keys["01"], new_subject(db.session, "01").key
    browser = as_role("coordinator")  # the same user on the web and through the API, two subjects of one site
    start = max(r.seq for r in audit_rows(app))
    assert browser.post(VS_URL.format(key=web_key), {**vs_values(), "version": "0"}).status_code == 302
    assert api.put(VS_API.format(key=api_key), {"version": 0, "items": vs_values()},
                   token=tokens["coordinator"]).status_code == 200
    web, via_api = _written_since(app, web_key, start), _written_since(app, api_key, start)
    assert len(web) == len(via_api) >= 9  # event, form and seven values
    web_shapes = [_shape(r, web_key) for r in web]
    api_shapes = [_shape(r, api_key) for r in via_api]
    assert web_shapes == api_shapes

    start = max(r.seq for r in audit_rows(app))
    changed = {**vs_values(**{"I.VS.HR": "80"}), "version": "1", "reason_code": "TRANSCRIPTION"}
    assert browser.post(VS_URL.format(key=web_key), changed).status_code == 302
    body = {"version": 1, "items": vs_values(**{"I.VS.HR": "80"}), "reason": "TRANSCRIPTION"}
    assert api.put(VS_API.format(key=api_key), body, token=tokens["coordinator"]).status_code == 200
    web, via_api = _written_since(app, web_key, start), _written_since(app, api_key, start)
    assert [(r.action, r.entity, r.item_oid, r.old_value, r.new_value, r.reason) for r in web] == [
        ("update", "item_data", "I.VS.HR", "72", "80", '{"code":"TRANSCRIPTION"}')]
    assert [_shape(r, api_key) for r in via_api] == [_shape(r, web_key) for r in web]
    assert via_api[0].entity_key == f"{api_key}/SE.SCREENING[1]/F.VS[1]/I.VS.HR"
    assert (via_api[0].username, via_api[0].role, via_api[0].actor_sites) == ("coordinator", "coordinator", "01")


def test_the_trail_is_paged_newest_first_without_gaps(app, api, tokens, keys):
    api.put(VS_API.format(key=keys["01"]), {"version": 0, "items": vs_values()}, token=tokens["coordinator"])
    everything = [r.seq for r in reversed(audit_rows(app, subject_key=keys["01"]))]
    seen, before = [], None
    while True:
        url = API + f"/subjects/{keys['01']}/audit?limit=4" + (f"&before={before}" if before else "")
        page = api.get(url, token=tokens["monitor"]).json
        assert len(page["records"]) <= 4
        seen += [r["seq"] for r in page["records"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == everything and len(seen) > 8


def test_records_carry_what_an_inspector_needs(app, api, tokens, keys):
    api.put(VS_API.format(key=keys["01"]), {"version": 0, "items": vs_values()}, token=tokens["coordinator"])
    page = api.get(API + f"/subjects/{keys['01']}/audit", token=tokens["data_manager"]).json
    newest = page["records"][0]
    assert set(newest) >= {"seq", "ts", "username", "role", "action", "entity", "entity_key", "event_oid", "form_oid",
                           "item_oid", "old_value", "new_value", "reason", "hash"}
    assert newest["ts"].endswith("Z") and datetime.fromisoformat(newest["ts"]).utcoffset().total_seconds() == 0
    spo2 = next(r for r in page["records"] if r["item_oid"] == "I.VS.SPO2")
    assert (spo2["action"], spo2["old_value"], spo2["new_value"], spo2["username"]) == ("create", None, "98",
                                                                                          "coordinator")
    assert len(spo2["hash"]) == 64 and page["next_before"] is None


def test_only_the_subjects_own_records(app, api, tokens, keys):
    api.put(VS_API.format(key=keys["02"]), {"version": 0, "items": vs_values()}, token=tokens["coordinator2"])
    page = api.get(API + f"/subjects/{keys['01']}/audit?limit=200", token=tokens["monitor"]).json
    assert {r["subject_key"] for r in page["records"]} == {keys["01"]}


def test_bad_paging_arguments_are_400(api, tokens, keys):
    base = API + f"/subjects/{keys['01']}/audit"
    for query in ("limit=0", "limit=201", "limit=x", "before=0", "before=-3", "before=abc",
                  f"before={2**63}", "limit=" + "9" * 50):
        response = api.get(f"{base}?{query}", token=tokens["monitor"])
        assert response.status_code == 400 and response.json["status"] == 400, query
    assert api.get(f"{base}?limit=200&before={2**63 - 1}", token=tokens["monitor"]).status_code == 200


def test_the_reason_is_given_in_words_for_coded_and_legacy_english_records(app, api, tokens, keys):
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    with app.app_context():
        legacy_reason_row(db.session, db.session.scalar(select(Subject).filter_by(key=keys["01"])),
                          "Source document updated: lab report of 2 Nov")
    api.put(VS_API.format(key=keys["01"]), {"version": 0, "items": vs_values()}, token=tokens["coordinator"])
    api.put(VS_API.format(key=keys["01"]), {"version": 1, "items": vs_values(**{"I.VS.HR": "80"}),
                                            "reason": {"code": "OTHER", "note": "re-measured"}},
            token=tokens["coordinator"])
    records = api.get(f"{API}/subjects/{keys['01']}/audit", token=tokens["monitor"]).json["records"]
    assert [r["reason"] for r in records if r["reason"] is not None] == [
        "Other (explain): re-measured", "Source document updated: lab report of 2 Nov"]
    assert [r.reason for r in audit_rows(app, subject_key=keys["01"]) if r.reason] == [
        "Source document updated: lab report of 2 Nov", '{"code":"OTHER","note":"re-measured"}']
