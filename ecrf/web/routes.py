"""Home, about (version, git revision, migration revision) and a health check."""
from __future__ import annotations

import subprocess

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

import ecrf
from ecrf.auth.permissions import can
from ecrf.infra.config import ROOT
from ecrf.infra.extensions import db
from ecrf.study.definition import METADATA_VERSION, PROTOCOL_NAME, STUDY_OID

bp = Blueprint("web", __name__)


def git_revision() -> str:
    """The source revision, from git, or ECRF_GIT_REVISION when deployed without .git."""
    import os

    if rev := os.environ.get("ECRF_GIT_REVISION"):
        return rev
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def migration_revision() -> str:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() or "none"
    except Exception:  # an un-migrated database has no table
        db.session.rollback()
        return "none (database not initialised)"


@bp.get("/")
def index():
    if can(current_user, "manage_users"):
        return redirect(url_for("admin.users"))
    return redirect(url_for("dashboard.index"))


@bp.get("/about")
def about():
    """The study for everyone; the software's version, revision, migration and engine for administrators only."""
    system = {}
    if can(current_user, "view_system_versions"):
        system = {"version": ecrf.__version__, "revision": git_revision(), "migration": migration_revision(),
                  "engine": db.engine.dialect.name}
    return render_template("about.html", system=system, study_oid=STUDY_OID, protocol=PROTOCOL_NAME,
                           mdv=METADATA_VERSION)


@bp.get("/health")
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
