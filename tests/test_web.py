"""The about page an inspector asks for, the health check, and times shown in the site's zone."""
from __future__ import annotations

import re
import subprocess

import ecrf
from ecrf.infra.config import ROOT


def test_about_shows_version_git_revision_and_migration(app, as_role):
    page = as_role("monitor").get("/about").get_data(as_text=True)
    assert f'data-testid="version">{ecrf.__version__}<' in page
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert head and head in page
    from alembic.script import ScriptDirectory

    from ecrf.infra.migrate import alembic_config

    assert f"<code>{ScriptDirectory.from_config(alembic_config()).get_current_head()}</code>" in page


def test_times_are_shown_in_the_site_zone_with_the_zone_named(app, as_role):
    from helpers import new_subject

    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    page = as_role("monitor").get(f"/subjects/{key}/audit").get_data(as_text=True)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CST \(UTC\+08:00\)", page)
