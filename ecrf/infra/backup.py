"""Backups that restore: the whole database, audit chain included, copied consistently while it is in use.

SQLite: the sqlite3 online backup API (a consistent copy page by page, writers may go on).
PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``, found on PATH, run against the configured URL
(the password passed in the environment, never on the command line). ``pg_dump`` reads the snapshot the
head was read in, so the head printed with a backup is the head of that backup.

The audit key is not in the database and so not in a backup: keep it apart (a restored chain verifies only
with the key it was written with).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


def _head(connection) -> tuple[int, str]:
    return tuple(connection.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one())


def is_empty(engine: Engine) -> bool:
    """Whether the database holds no tables at all (a fresh database to restore into)."""
    with engine.connect() as connection:
        return not inspect(connection).get_table_names()


def backup(engine: Engine, out: Path) -> tuple[int, str]:
    """Write a consistent copy of the database to ``out``; returns the audit chain head it holds."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} exists already: choose a new file (a backup never overwrites one)")
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    if engine.dialect.name == "sqlite":
        return _sqlite_backup(_sqlite_path(engine), out)
    if engine.dialect.name == "postgresql":
        return _pg_backup(engine, out)
    raise BackupError(f"no backup for the {engine.dialect.name} engine")


def restore(engine: Engine, source: Path, *, force: bool = False) -> None:
    """Restore the backup ``source`` into the configured database, which must be empty unless ``force``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    if engine.dialect.name == "sqlite" and not _sqlite_path(engine).parent.is_dir():
        raise BackupError(f"the folder of the configured database, {_sqlite_path(engine).parent}, does not exist")
    if not force and not is_empty(engine):
        raise BackupError("the configured database is not empty: restore into a new, empty database, or give "
                          "--force to replace everything in it")
    engine.dispose()  # no pooled connection may hold the database while it is replaced
    if engine.dialect.name == "sqlite":
        _sqlite_restore(source, _sqlite_path(engine))
    elif engine.dialect.name == "postgresql":
        _pg_restore(engine, source, clean=force)
    else:
        raise BackupError(f"no restore for the {engine.dialect.name} engine")


# -- SQLite ------------------------------------------------------------------------------------------------

def _sqlite_path(engine: Engine) -> Path:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("the configured SQLite database is not a file")
    return Path(name)


def _sqlite_backup(path: Path, out: Path) -> tuple[int, str]:
    if not path.is_file():
        raise BackupError(f"no database file {path}")
    partial = out.with_name(out.name + ".partial")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            seq, hash_ = target.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        finally:
            target.close()
    except sqlite3.DatabaseError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {exc}") from None
    finally:
        source.close()
    partial.rename(out)  # a file named OUT is always a whole backup
    return seq, hash_


def _sqlite_restore(source: Path, path: Path) -> None:
    try:
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if backup_db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'audit_head'").fetchone()[0] != 1:
                raise BackupError(f"{source} is not a backup of this system (no audit chain in it)")
            target = sqlite3.connect(path)
            try:
                backup_db.backup(target)  # replaces every page of the target, in one transaction
            finally:
                target.close()
        finally:
            backup_db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a readable SQLite backup: {exc}") from None


# -- PostgreSQL ------------------------------------------------------------------------------------------

def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} was not found on PATH: install the PostgreSQL client programs of the server's "
                          "major version (Debian: postgresql-client) and try again")
    return tool


def _pg_target(engine: Engine) -> tuple[str, dict]:
    """A libpq URI without the password, and the environment carrying it."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(command: list[str], env: dict, what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def _pg_backup(engine: Engine, out: Path) -> tuple[int, str]:
    tool = _pg_tool("pg_dump")
    uri, env = _pg_target(engine)
    partial = out.with_name(out.name + ".partial")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            head = _head(connection)  # read in the snapshot pg_dump copies
            try:
                _run([tool, "--format=custom", f"--snapshot={snapshot}", f"--file={partial}", f"--dbname={uri}"],
                     env, "pg_dump")
            except BackupError:
                partial.unlink(missing_ok=True)
                raise
    partial.rename(out)
    return head


def _pg_restore(engine: Engine, source: Path, *, clean: bool) -> None:
    tool = _pg_tool("pg_restore")
    uri, env = _pg_target(engine)
    # the restoring user owns what it creates; grants to an application role are given again by ecrf init-db
    command = [tool, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", f"--dbname={uri}"]
    if clean:
        command += ["--clean", "--if-exists"]
    _run([*command, str(source)], env, "pg_restore")
