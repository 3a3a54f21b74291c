"""The application factory: settings, extensions, the trial rules given to capture, the faces' blueprints."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from ecrf.infra.config import ROOT
from ecrf.study import protocol


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides the environment (tests, CLI)."""
    from ecrf.infra import config as settings

    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=_instance_path(config))
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    _register_extensions(app)
    protocol.configure(app.config)
    _register_rules()
    _register_blueprints(app)
    from ecrf.web import errors, security, templating

    security.register(app)
    errors.register(app)
    templating.register(app)
    from ecrf.study.definition import load

    load()  # a definition error stops start-up here, naming the OID
    return app


def _instance_path(config: dict | None) -> str | None:
    import os

    path = (config or {}).get("INSTANCE_PATH") or os.environ.get("ECRF_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def _register_extensions(app: Flask) -> None:
    from ecrf import models  # noqa: F401  (every table, so metadata and listeners are complete)
    from ecrf.infra.extensions import csrf, db, login_manager

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from sqlalchemy import event

            from ecrf.infra.db import sqlite_pragmas

            event.listen(db.engine, "connect", sqlite_pragmas)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in."
    login_manager.session_protection = "strong"


def _register_rules() -> None:
    """Give capture the trial's rules (checks and writers around every form save), in their order."""
    from ecrf.capture import rules
    from ecrf.rules import TRIAL_RULES

    rules.install(TRIAL_RULES)


def _register_blueprints(app: Flask) -> None:
    from ecrf.api import bp as api_bp
    from ecrf.web.admin import bp as admin_bp
    from ecrf.web.audit import bp as audit_bp
    from ecrf.web.auth import bp as auth_bp
    from ecrf.web.capture import bp as capture_bp
    from ecrf.web.consent import bp as consent_bp
    from ecrf.web.enrolment import bp as enrolment_bp
    from ecrf.web.routes import bp as web_bp
    from ecrf.web.subjects import bp as subjects_bp
    from ecrf.web.tokens import bp as tokens_bp
    from ecrf.web.visits import bp as visits_bp

    for bp in (web_bp, auth_bp, admin_bp, subjects_bp, capture_bp, audit_bp, consent_bp, enrolment_bp, visits_bp,
               api_bp, tokens_bp):
        app.register_blueprint(bp)
