"""Readers see what their role needs (issue 9, item 12): identifying items reduced for the sponsor on every face
(form page, casebook, API form and audit reads, audit pages, audit CSV); monitors see full values for source-data
verification; the administrator sees no clinical value."""
from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import consent, demographics, new_subject, save
from sqlalchemy import select

from ecrf.study import masking
from ecrf.study.definition import DefinitionError, Study, load
from ecrf.study.types import DataType, Item

DOB, CORRECTED = "2011-07-23", "2011-08-19"
DM_URL = "/subjects/{key}/events/SE.SUBJECT/forms/F.DM"


# the pure rule -------------------------------------------------------------------------------------------------

def test_the_definition_marks_date_of_birth_and_free_text_that_may_name_people():
    items = load().items
    assert items["I.DM.BRTHDAT"].identifying == "year"
    assert items["I.ELIG.COMMENT"].identifying == "mask"
    assert items["I.EOS.REASONSP"].identifying == "mask"
    assert items["I.VS.HR"].identifying is None


@pytest.mark.parametrize("role", ["investigator", "coordinator", "monitor", "data_manager"])
def test_roles_that_verify_or_enter_data_see_the_full_value(role):
    dob = load().items["I.DM.BRTHDAT"]
    assert masking.masked(dob, DOB, role) == DOB
    assert not masking.reduces(dob, role)


def test_sponsor_gets_the_year_of_birth_and_masked_free_text_and_other_items_in_full():
    items = load().items
    assert masking.masked(items["I.DM.BRTHDAT"], DOB, "sponsor") == "2011"
    assert masking.masked(items["I.ELIG.COMMENT"], "seen with her aunt Mary", "sponsor") == masking.WITHHELD
    assert masking.masked(items["I.VS.HR"], "72", "sponsor") == "72"
    assert masking.masked(items["I.DM.BRTHDAT"], None, "sponsor") is None


def test_a_bad_legacy_date_is_withheld_from_the_sponsor_never_shown_whole():
    assert masking.masked(load().items["I.DM.BRTHDAT"], "0202-11-25x", "sponsor") == "0202"
    assert masking.masked(load().items["I.DM.BRTHDAT"], "23.07.2011", "sponsor") == masking.WITHHELD


@pytest.mark.parametrize("role", ["admin", None, "auditor-to-be"])
def test_admin_and_unknown_roles_see_no_clinical_value(role):
    assert masking.masked(load().items["I.VS.HR"], "72", role) == masking.WITHHELD
    assert not masking.sees_clinical(role)


def test_the_definition_check_refuses_an_unknown_masking_kind_and_a_year_of_a_non_date():
    study = load()
    dm = study.form("F.DM")
    for bad, message in ((replace(dm.groups[0].items[0], identifying="initials"), "unknown masking kind"),
                         (Item("I.DM.BRTHDAT", "x", DataType.TEXT, identifying="year"), "only a date")):
        group = replace(dm.groups[0], items=(bad, *dm.groups[0].items[1:]))
        forms = tuple(replace(f, groups=(group, *f.groups[1:])) if f.oid == "F.DM" else f for f in study.forms)
        with pytest.raises(DefinitionError, match=message):
            Study(study.events, forms).check()


# every face ----------------------------------------------------------------------------------------------------

@pytest.fixture
def subject_key(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session, consented=False)
        consent(db.session, subject, "GUARDIAN")  # a child: the casebook flags the assent birthday
        demographics(db.session, subject, "F", DOB)
        # the note repeats the values: a reason for change of an identifying item is identifying too
        save(db.session, subject, "F.DM", {"I.DM.BRTHDAT": CORRECTED, "I.DM.SEX": "F"}, event_oid="SE.SUBJECT",
             reason_code="OTHER", reason_note=f"typed {DOB}, the passport says {CORRECTED}")
        key = subject.key
        db.session.remove()
    return key


def _token(app, username):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        raw = issue(db.session, db.session.scalar(select(User).where(User.username == username)))[1]
        db.session.commit()
        db.session.remove()
    return raw


def _faces(app, as_role, role, key):
    """Every response that shows the subject's date of birth, as text."""
    browser = as_role(role)
    token = {"Authorization": f"Bearer {_token(app, role)}"}
    client = app.test_client()
    pages = {
        "form page": browser.get(DM_URL.format(key=key)),
        "casebook": browser.get(f"/subjects/{key}"),
        "subject audit page": browser.get(f"/subjects/{key}/audit"),
        "form audit page": browser.get(DM_URL.format(key=key) + "/audit"),
        "item audit page": browser.get(DM_URL.format(key=key) + "/items/I.DM.BRTHDAT/audit"),
        "audit CSV": browser.get(f"/subjects/{key}/audit.csv"),
        "API form": client.get("/api/v1" + DM_URL.format(key=key), headers=token),
        "API audit": client.get(f"/api/v1/subjects/{key}/audit", headers=token),
        "API form audit": client.get("/api/v1" + DM_URL.format(key=key) + "/audit", headers=token),
        "API item audit": client.get("/api/v1" + DM_URL.format(key=key) + "/items/I.DM.BRTHDAT/audit", headers=token),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    return {name: response.get_data(as_text=True) for name, response in pages.items()}


def test_sponsor_sees_only_the_year_of_birth_on_every_face(app, as_role, subject_key):
    faces = _faces(app, as_role, "sponsor", subject_key)
    leaks = [f"{full} on the {name}" for name, text in faces.items() for full in (DOB, CORRECTED, "07-23", "08-19")
             if full in text]
    assert leaks == []
    assert "2011" in faces["form page"] and 'data-testid="reduced-I.DM.BRTHDAT"' in faces["form page"]
    assert '"I.DM.BRTHDAT":"2011"' in faces["API form"].replace(" ", "")
    assert "2011" in faces["item audit page"] and "2011" in faces["audit CSV"]


def test_monitor_sees_the_full_date_of_birth_for_source_data_verification(app, as_role, subject_key):
    faces = _faces(app, as_role, "monitor", subject_key)
    for name in ("form page", "item audit page", "audit CSV", "API form", "API audit"):
        assert CORRECTED in faces[name], name
    assert "on 2019-08-19" in faces["casebook"]  # the assent birthday (8 years)
    for name in ("item audit page", "audit CSV", "API audit", "API form audit", "API item audit"):
        assert DOB in faces[name], name  # the old value too


def test_admin_all_sites_audit_shows_who_did_what_but_no_clinical_value(app, as_role, subject_key):
    admin = as_role("admin")
    page = admin.get("/admin/audit?scope=all").get_data(as_text=True)
    assert subject_key in page  # the record is listed: who changed what, when
    for value in (DOB, CORRECTED, "Transcription"):
        assert value not in page
    assert masking.WITHHELD in page
    for url in (f"/subjects/{subject_key}", DM_URL.format(key=subject_key), f"/subjects/{subject_key}/audit.csv"):
        assert admin.get(url).status_code == 403, url
