"""The exports on the web pages: who may take which file, what is audited, and the certified-copy check of an
uploaded casebook (sealed with the instance's own identity, as `ecrf init-db` makes it)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from helpers import new_subject, save, vs_values
from sqlalchemy import select


@pytest.fixture
def key(app, world):
    from ecrf.exports.seal import ensure_identity
    from ecrf.infra.extensions import db

    ensure_identity(Path(app.instance_path))
    with app.app_context():
        subject = new_subject(db.session)
        save(db.session, subject, "F.VS", vs_values())
        out = subject.key
        db.session.remove()
    return out


def _exports(app, username):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        return db.session.execute(select(AuditEvent.action, AuditEvent.subject_key, AuditEvent.new_value).where(
            AuditEvent.username == username, AuditEvent.action.like("export_%")).order_by(AuditEvent.seq)).all()


def test_a_sponsor_takes_a_sealed_casebook_and_the_export_is_audited(app, as_role, key):
    from pypdf import PdfReader

    from ecrf.exports import seal

    response = as_role("sponsor").get(f"/subjects/{key}/casebook.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"-casebook-{key}-" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    status = seal.validate(response.data, seal.configured(app.instance_path, app.config))
    assert status.ok, status.problem
    assert key in PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    rows = _exports(app, "sponsor")
    assert [(a, s) for a, s, _ in rows] == [("export_requested", key), ("export_written", key)]
    import hashlib
    assert hashlib.sha256(response.data).hexdigest() in rows[1][2]


def test_another_sites_staff_and_the_administrator_get_no_casebook(app, as_role, key):
    assert as_role("coordinator2").get(f"/subjects/{key}/casebook.pdf").status_code == 403
    assert as_role("admin").get(f"/subjects/{key}/casebook.pdf").status_code == 403
    assert _exports(app, "coordinator2") == [] and _exports(app, "admin") == []


def test_the_blank_and_annotated_crf_are_offered_to_every_study_role(app, as_role, key):
    from pypdf import PdfReader

    monitor = as_role("monitor")
    page = monitor.get("/exports").get_data(as_text=True)
    assert 'data-testid="blank-crf"' in page and 'data-testid="annotated-crf"' in page
    blank = monitor.get("/crf/blank.pdf")
    annotated = monitor.get("/crf/annotated.pdf")
    assert blank.status_code == annotated.status_code == 200
    assert "I.VS.HR" not in "".join(p.extract_text() for p in PdfReader(io.BytesIO(blank.data)).pages)
    assert "I.VS.HR" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(annotated.data)).pages)
    assert [a for a, _, _ in _exports(app, "monitor")] == ["export_requested", "export_written"] * 2


def test_the_page_offers_each_role_the_exports_its_role_may_take(as_role, key):
    sponsor = as_role("sponsor").get("/exports").get_data(as_text=True)
    coordinator = as_role("coordinator").get("/exports").get_data(as_text=True)
    assert 'value="odm_transactional"' in sponsor and 'value="datasets"' in sponsor
    assert 'value="site_archive"' not in sponsor
    assert 'value="site_archive"' in coordinator and 'value="casebooks"' in coordinator
    assert 'value="odm"' not in coordinator


def test_a_kind_the_role_may_not_take_is_refused_and_nothing_is_queued(app, as_role, key):
    from ecrf.infra.extensions import db
    from ecrf.jobs.models import ExportJob

    coordinator = as_role("coordinator")
    refused = coordinator.post("/exports", data={"kind": "odm", "site": "01"})
    assert refused.status_code == 403 and "may not export" in refused.get_data(as_text=True)
    unknown = coordinator.post("/exports", data={"kind": "everything"})
    assert unknown.status_code == 422 and "There is no export" in unknown.get_data(as_text=True)
    elsewhere = coordinator.post("/exports", data={"kind": "site_archive", "site": "02"})
    assert elsewhere.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(ExportJob.id)) is None


def _verify(browser, data: bytes):
    return browser.post("/exports/verify", data={"casebook": (io.BytesIO(data), "casebook.pdf")},
                        content_type="multipart/form-data")


def test_an_uploaded_copy_is_checked_against_the_data_today(app, as_role, key):
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    manager = as_role("data_manager")
    copy = manager.get(f"/subjects/{key}/casebook.pdf").data
    same = _verify(manager, copy)
    page = same.get_data(as_text=True)
    assert same.status_code == 200 and "The file is intact." in page and "Its data match the data today." in page
    assert "A certified copy" in page
    with app.app_context():
        save(db.session, db.session.scalar(select(Subject).where(Subject.key == key)), "F.VS",
             vs_values(**{"I.VS.HR": "91"}), reason_code="TRANSCRIPTION")
        db.session.remove()
    changed = _verify(manager, copy).get_data(as_text=True)
    assert "1 change(s) since the copy was made" in changed and "Heart rate" in changed and "91" in changed
    assert "Not a certified copy of today&#39;s data." in changed
    tampered = bytearray(copy)
    tampered[len(copy) // 3] ^= 0x01
    assert "Not a certified copy" in _verify(manager, bytes(tampered)).get_data(as_text=True)


def test_the_check_refuses_what_it_cannot_read_and_other_sites_copies(app, as_role, key):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    garbage = _verify(as_role("monitor"), b"not a pdf at all")
    assert garbage.status_code == 422 and "This file cannot be checked" in garbage.get_data(as_text=True)
    copy = as_role("data_manager").get(f"/subjects/{key}/casebook.pdf").data
    other = _verify(as_role("coordinator2"), copy)
    assert other.status_code == 422 and "not yours" in other.get_data(as_text=True)
    assert key not in other.get_data(as_text=True)
    with app.app_context():
        checks = db.session.scalars(select(AuditEvent.username).where(AuditEvent.action == "casebook_verified")
                                    .order_by(AuditEvent.seq)).all()
    assert checks == ["monitor", "coordinator2"]


def test_a_copy_made_for_full_view_shows_a_sponsor_only_that_it_changed(app, as_role, key):
    from ecrf.infra.extensions import db
    from ecrf.subjects.models import Subject

    copy = as_role("data_manager").get(f"/subjects/{key}/casebook.pdf").data
    with app.app_context():
        save(db.session, db.session.scalar(select(Subject).where(Subject.key == key)), "F.VS",
             vs_values(**{"I.VS.HR": "93"}), reason_code="TRANSCRIPTION")
        db.session.remove()
    page = _verify(as_role("sponsor"), copy).get_data(as_text=True)
    assert "made for another role, so the values are not shown" in page and "93" not in page
