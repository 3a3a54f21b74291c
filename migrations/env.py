"""Alembic environment: the database is ECRF_DATABASE_URL (or a connection handed over by ecrf.infra.migrate)."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from ecrf import models  # noqa: F401  (all tables)
from ecrf.infra.db import Base
from ecrf.jobs import models as job_models  # noqa: F401  (export_job: ecrf.models is below ecrf.jobs)

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    import os
    from pathlib import Path

    url = config.get_main_option("sqlalchemy.url") or os.environ.get("ECRF_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{Path(__file__).resolve().parent.parent / 'instance' / 'ecrf.sqlite'}"


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
