"""In a real browser, a sponsor downloads a subject's casebook from its casebook page: a sealed PDF of that
subject whose pages say "Page X of Y", with the date of birth reduced to its year (the sponsor sees no identity)."""
from __future__ import annotations

import io

from helpers import PASSWORD


def _login(page, server, username):
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dashboard")


def test_a_sponsor_downloads_a_casebook_in_a_real_browser(app, server, page, tmp_path):
    from pypdf import PdfReader
    from sqlalchemy import select

    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    _login(page, server, "sponsor")
    page.goto(f"{server}/subjects/01-S001")
    with page.expect_download() as info:
        page.click('[data-testid="casebook-pdf"]')
    download = info.value
    assert download.suggested_filename.endswith(".pdf") and "01-S001" in download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    pages = len(reader.pages)
    text = [p.extract_text() for p in reader.pages]
    assert all(f"Page {n} of {pages}" in t and "01-S001" in t for n, t in enumerate(text, 1))
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.username == "sponsor", AuditEvent.action.like("export_%"))).all()
    assert actions == ["export_requested", "export_written"]
