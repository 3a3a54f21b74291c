"""ecrf: electronic case report forms for an anti-CD19 CAR-T trial in refractory SLE."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides the environment (tests, CLI)."""
    from ecrf import config as settings

    app = Flask(__name__, template_folder=str(ROOT / "templates"), instance_path=_instance_path(config))
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    _register_extensions(app)
    _register_rules()
    _register_blueprints(app)
    from ecrf.web import errors, security, templating

    security.register(app)
    errors.register(app)
    templating.register(app)
    from ecrf.study import load

    load()  # a definition error stops start-up here, naming the OID
    return app


def _instance_path(config: dict | None) -> str | None:
    import os

    path = (config or {}).get("INSTANCE_PATH") or os.environ.get("ECRF_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def _register_extensions(app: Flask) -> None:
    from ecrf import models  # noqa: F401  (every table, so metadata and listeners are complete)
    from ecrf.extensions import csrf, db, login_manager

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from sqlalchemy import event

            from ecrf.db import sqlite_pragmas

            event.listen(db.engine, "connect", sqlite_pragmas)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in."
    login_manager.session_protection = "strong"


def _register_rules() -> None:
    """The trial's guards and hooks around every form save (ecrf.capture.guards)."""
    from ecrf.consent import guards as consent_guards  # noqa: F401
    from ecrf.enrolment import guards as enrolment_guards  # noqa: F401
    from ecrf.treatment import guards as treatment_guards  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from ecrf.api import bp as api_bp
    from ecrf.api.web import bp as tokens_bp
    from ecrf.audit.routes import bp as audit_bp
    from ecrf.auth.admin import bp as admin_bp
    from ecrf.auth.routes import bp as auth_bp
    from ecrf.capture.routes import bp as capture_bp
    from ecrf.consent.routes import bp as consent_bp
    from ecrf.enrolment.routes import bp as enrolment_bp
    from ecrf.subjects.routes import bp as subjects_bp
    from ecrf.visits.routes import bp as visits_bp
    from ecrf.web.routes import bp as web_bp

    for bp in (web_bp, auth_bp, admin_bp, subjects_bp, capture_bp, audit_bp, consent_bp, enrolment_bp, visits_bp,
               api_bp, tokens_bp):
        app.register_blueprint(bp)
