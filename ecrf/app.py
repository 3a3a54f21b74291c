"""The application factory: settings, extensions, the protocol in force, the trial rules given to capture, and
the faces' blueprints."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from ecrf import models  # noqa: F401  (every table, so the metadata and the audit listeners are complete)
from ecrf.api import bp as api_bp
from ecrf.capture import rules
from ecrf.infra import config as settings
from ecrf.infra.args import RowIdConverter
from ecrf.infra.config import ROOT
from ecrf.infra.db import sqlite_pragmas
from ecrf.infra.extensions import csrf, db, login_manager
from ecrf.jobs import models as job_models  # noqa: F401  (the export_job table: ecrf.models is below ecrf.jobs)
from ecrf.jobs import queue as jobs
from ecrf.rules import TRIAL_RULES
from ecrf.safety import notifications
from ecrf.study import protocol
from ecrf.study.definition import load as load_study
from ecrf.web import (
    admin,
    audit,
    auth,
    capture,
    charts,
    consent,
    dashboard,
    efficacy,
    enrolment,
    errors,
    exports,
    labs,
    locks,
    queries,
    routes,
    safety,
    sdv,
    security,
    signatures,
    subjects,
    templating,
    tokens,
    visits,
)

BLUEPRINTS = (routes.bp, dashboard.bp, auth.bp, admin.bp, subjects.bp, capture.bp, audit.bp, consent.bp, enrolment.bp,
              visits.bp, signatures.bp, sdv.bp, queries.bp, locks.bp, exports.bp, api_bp, tokens.bp,
              charts.bp, safety.bp, efficacy.bp, labs.bp)


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides the environment (tests, CLI)."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=_instance_path(config))
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    app.config["INSTANCE_PATH"] = app.instance_path  # where the jobs keep their queue and files
    _register_extensions(app)
    jobs.configure(app.app_context, app.config)
    protocol.configure(app.config)
    rules.install(TRIAL_RULES)
    notifications.configure(app.config)
    app.url_map.converters["int"] = RowIdConverter  # before the rules that use it are bound
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    security.register(app)
    errors.register(app)
    templating.register(app)
    load_study()  # a definition error stops start-up here, naming the OID
    return app


def _instance_path(config: dict | None) -> str | None:
    path = (config or {}).get("INSTANCE_PATH") or os.environ.get("ECRF_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def _register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", sqlite_pragmas)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in."
    login_manager.session_protection = "strong"
