"""The about page an inspector asks for, the health check, and times shown in the site's zone."""
from __future__ import annotations

import re
import subprocess

import pytest

import ecrf
from ecrf.infra.config import ROOT


def test_about_shows_version_git_revision_and_migration_to_administrators(app, as_role):
    page = as_role("admin").get("/about").get_data(as_text=True)
    assert f'data-testid="version">{ecrf.__version__}<' in page
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert head and head in page
    from alembic.script import ScriptDirectory

    from ecrf.infra.migrate import alembic_config

    assert f"<code>{ScriptDirectory.from_config(alembic_config()).get_current_head()}</code>" in page


@pytest.mark.parametrize("role", ["investigator", "coordinator", "monitor", "data_manager", "sponsor"])
def test_about_shows_other_roles_the_study_without_version_revision_or_migration(app, as_role, role):
    from alembic.script import ScriptDirectory

    from ecrf.infra.migrate import alembic_config

    response = as_role(role).get("/about")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "CART19-SLE-IIT" in page
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    for secret in (f">{ecrf.__version__}<", head, ScriptDirectory.from_config(alembic_config()).get_current_head(),
                   'data-testid="version"', 'data-testid="revision"', 'data-testid="migration"'):
        assert secret not in page, secret


def test_times_are_shown_in_the_site_zone_with_the_zone_named(app, as_role):
    from helpers import new_subject

    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    page = as_role("monitor").get(f"/subjects/{key}/audit").get_data(as_text=True)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CST \(UTC\+08:00\)", page)
