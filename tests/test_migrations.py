"""The migrated schema equals the models (no autogenerate diff), on the engine under test."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from ecrf.infra.db import Base
from ecrf.infra.migrate import alembic_config, upgrade


def test_migrations_create_exactly_the_models(databases):
    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()
        databases.drop(url)


def test_there_is_one_migration_head():
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_downgrade_to_base_and_up_again(databases):
    from alembic import command

    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert "audit_event" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert "audit_event" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        databases.drop(url)


def test_named_check_constraints_survive_the_migrations(databases):
    """SQLite rebuilds tables for ALTER; the CHECK constraints the models name must still be there."""
    from sqlalchemy import CheckConstraint

    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine)
        inspector = inspect(engine)
        for table in Base.metadata.sorted_tables:
            wanted = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
            found = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert wanted <= found, (table.name, wanted - found)
    finally:
        engine.dispose()
        databases.drop(url)
