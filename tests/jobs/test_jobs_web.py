"""The exports page over the job services, with the queue's consumer in this process: ask, poll the status the
page polls, download; another user's job is not found."""
from __future__ import annotations

import time

import jobkit
from sqlalchemy import select


def test_ask_follow_and_download_an_export_on_the_web(app, as_role, queue, consumer):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db
    from ecrf.jobs.models import ExportJob

    browser = as_role("data_manager")
    assert browser.post("/exports", data={"kind": "test_tiny", "site": "01"}).status_code == 302
    with app.app_context():
        job_id = db.session.scalar(select(ExportJob.id))
    deadline = time.monotonic() + 10
    while (status := browser.get(f"/exports/{job_id}/status").get_json())["state"] != "done":
        assert time.monotonic() < deadline and status["state"] in ("queued", "running"), status
        time.sleep(0.05)
    assert status["percent"] == 100 and status["download"].endswith(f"/exports/{job_id}/download")
    assert as_role("monitor").get(f"/exports/{job_id}/status").status_code == 404
    response = browser.get(status["download"])
    try:
        assert response.status_code == 200 and response.data == jobkit.TINY
        assert "CART19-SLE-test-tiny-01-" in response.headers["Content-Disposition"]
    finally:
        response.close()  # send_file streams the file
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == str(job_id),
                                     AuditEvent.action.like("export_%")).order_by(AuditEvent.seq)).all()
    assert actions == ["export_requested", "export_written", "export_downloaded"]
