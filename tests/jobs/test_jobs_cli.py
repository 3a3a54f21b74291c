"""The command line's part in the jobs: ``ecrf demo`` runs a consumer in its own process, so the exports its web
pages start complete (``ecrf worker`` itself is run as a process by test_jobs_worker_restart)."""
from __future__ import annotations

import jobkit
from click.testing import CliRunner
from flask import Flask

from ecrf.cli import main


def test_the_demo_completes_exports_with_its_in_process_worker(monkeypatch, tmp_path):
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("ECRF_SECRET_KEY", "demo-test")
    monkeypatch.setenv("ECRF_DEMO_PASSWORD", "demo password 2026")
    monkeypatch.delenv("ECRF_REDIS_URL", raising=False)
    monkeypatch.delenv("ECRF_DATABASE_URL", raising=False)
    outcome = {}

    def serve(app, **options):  # in place of the web server: a data manager's export, as a page submits it
        from ecrf.infra.extensions import db

        outcome["options"] = options
        with app.app_context():
            job_id = jobkit.submitted(db.session, jobkit.request_for(db.session, "data_manager", sites=("01",)))
            outcome["job"] = jobkit.wait_for(db.session, job_id, timeout=20)

    monkeypatch.setattr(Flask, "run", serve)
    jobkit.register()
    try:
        result = CliRunner().invoke(main, ["demo", "--port", "5999"])
    finally:
        jobkit.unregister()
    assert result.exit_code == 0, result.output
    assert outcome["options"]["port"] == 5999
    assert (outcome["job"].state, outcome["job"].attempts) == ("done", 1)
