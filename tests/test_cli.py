"""The ecrf command against ECRF_DATABASE_URL: init-db, create-site, create-user, seed-demo."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from ecrf.cli import main


@pytest.fixture
def empty_db(databases, monkeypatch, tmp_path):
    url = databases.empty_url()
    monkeypatch.setenv("ECRF_DATABASE_URL", url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "cli-test")
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "instance"))
    yield url
    databases.drop(url)


def _run(*args, input=None):
    result = CliRunner().invoke(main, list(args), input=input)
    return result


def test_init_db_site_user_and_seed(empty_db, monkeypatch):
    assert _run("init-db").exit_code == 0
    assert _run("init-db").exit_code == 0  # idempotent
    result = _run("create-site", "07", "Seventh Hospital", "--timezone", "Asia/Shanghai")
    assert result.exit_code == 0, result.output
    assert _run("create-site", "07", "Again").exit_code == 2
    result = _run("create-user", "--username", "coord7", "--role", "coordinator", "--site", "07",
                  input="a sufficiently long password\n")
    assert result.exit_code == 0, result.output
    short = _run("create-user", "--username", "coord8", "--role", "coordinator", "--site", "07", input="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    monkeypatch.setenv("ECRF_DEMO_PASSWORD", "demo password 2026")
    seeded = _run("seed-demo")
    assert seeded.exit_code == 0, seeded.output
    assert "coordinator" in seeded.output and "demo password 2026" in seeded.output
    engine = create_engine(empty_db)
    with engine.connect() as c:
        users = set(c.scalars(text("SELECT username FROM user_account")))
        subjects = c.scalar(text("SELECT count(*) FROM subject"))
        hashes = set(c.scalars(text("SELECT password_hash FROM user_account")))
    engine.dispose()
    assert {"coord7", "admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor"} <= users
    assert "coord8" not in users
    assert subjects >= 3
    assert all(h.startswith("$argon2id$") for h in hashes)
    verify = _run("audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_check_definition(empty_db):
    result = _run("check-definition")
    assert result.exit_code == 0 and "forms" in result.output and "OK" in result.output
