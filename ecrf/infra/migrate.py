"""Running the Alembic migrations from code (``ecrf init-db``, tests)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from ecrf.infra.config import ROOT


def alembic_config(connection=None) -> Config:
    cfg = Config(str(ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
