"""Exports through the API: a background job asked for, followed and fetched (jobs run at once here: the queue
itself is tested in tests/jobs), the files made on the spot, and what each role may ask for."""
from __future__ import annotations

import io

import pytest
from api_helpers import API


@pytest.fixture
def immediate(app):
    app.config["JOBS_IMMEDIATE"] = True


def test_a_data_manager_asks_for_odm_follows_the_job_and_fetches_the_file(app, api, tokens, keys, immediate):
    from lxml import etree

    token = tokens["data_manager"]
    asked = api.request("POST", f"{API}/exports", token=token, json={"kind": "odm", "site": "01"})
    assert asked.status_code == 202, asked.json
    job = api.get(f"{API}/exports/{asked.json['id']}", token=token).json
    assert job["state"] == "done" and job["file"] == f"{API}/exports/{job['id']}/file" and len(job["sha256"]) == 64
    listed = api.get(f"{API}/exports", token=token).json["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]
    response = api.get(job["file"], token=token)
    try:  # send_file streams the file: close it
        assert response.status_code == 200 and response.mimetype == "application/xml"
        root = etree.fromstring(response.data)
    finally:
        response.close()
    subjects = root.findall(".//{http://www.cdisc.org/ns/odm/v1.3}SubjectData")
    assert [s.get("SubjectKey") for s in subjects] == [keys["01"]]  # site 01 only
    assert api.get(f"{API}/exports/{job['id']}", token=tokens["sponsor"]).status_code == 404


def test_what_each_role_may_ask_for(api, tokens, keys, immediate):
    def ask(who, kind, site=None):
        return api.request("POST", f"{API}/exports", token=tokens[who], json={"kind": kind, "site": site}).status_code

    assert ask("coordinator", "odm") == 403
    assert ask("sponsor", "site_archive", "01") == 403
    assert ask("coordinator", "site_archive", "02") == 404  # not one of theirs
    assert ask("investigator", "casebook") == 422  # made on the spot, GET its file
    assert ask("monitor", "everything") == 422
    assert ask("admin", "odm") == 403
    assert ask("coordinator", "site_archive", "01") == 202


def test_a_file_is_refused_until_the_job_is_done(app, api, tokens, keys):
    token = tokens["sponsor"]
    asked = api.request("POST", f"{API}/exports", token=token, json={"kind": "datasets"})
    assert asked.status_code == 202 and asked.json["state"] == "queued" and asked.json["file"] is None
    refused = api.get(f"{API}/exports/{asked.json['id']}/file", token=token)
    assert refused.status_code == 409 and refused.json["error"]


def test_the_casebook_and_the_crfs_made_on_the_spot(api, tokens, keys):
    from pypdf import PdfReader

    casebook = api.get(f"{API}/subjects/{keys['01']}/casebook.pdf", token=tokens["sponsor"])
    assert casebook.status_code == 200 and casebook.mimetype == "application/pdf"
    assert keys["01"] in PdfReader(io.BytesIO(casebook.data)).pages[0].extract_text()
    assert api.get(f"{API}/subjects/{keys['02']}/casebook.pdf", token=tokens["sponsor"]).status_code == 403
    annotated = api.get(f"{API}/crf/blank.pdf?annotated=true", token=tokens["monitor"])
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(annotated.data)).pages)
    assert annotated.status_code == 200 and "I.VS.HR" in text
    bad = api.get(f"{API}/crf/blank.pdf?annotated=maybe", token=tokens["monitor"])
    assert bad.status_code == 400 and "true or false" in bad.json["error"]
