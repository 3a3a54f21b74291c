"""The application's own PostgreSQL role, with least privilege, so that the running app cannot rewrite history.

Migrations run as the owner of the tables (``ecrf init-db`` with the owner's URL); the application connects as
a role that owns nothing. It reads and writes the trial's tables, but on the audit trail it may only SELECT and
INSERT ``audit_event``, and UPDATE only the ``seq`` and ``hash`` columns of ``audit_head``'s row (appending moves
the head). It is granted no TRUNCATE and no TRIGGER anywhere, and since only an owner (or a superuser) may ALTER
or DROP a table or its triggers, it can neither drop nor disable the append-only triggers. Column grants rather
than a SECURITY DEFINER function keep the chain's append (ecrf.audit.chain) the same code on both engines.

Default privileges give tables that later migrations create the ordinary grants; run ``init-db --app-role``
again after each upgrade (it upgrades first), so that a new audit table named in APPEND_ONLY is narrowed too.
"""
from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ecrf.errors import AccountError

#: audit tables (and the safety notifications sent) the app may read and append to, never change
APPEND_ONLY = ("audit_event", "safety_notification")
#: tables the app may read and update only in these columns (no insert, no delete)
UPDATE_COLUMNS_ONLY = {"audit_head": ("seq", "hash", "mac")}
#: tables only migrations write
READ_ONLY = ("alembic_version",)
#: what the app may do on every other table, and on sequences
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def configure(connection: Connection, role: str, password: str | None = None) -> None:
    """Create ``role`` if needed (LOGIN, no other attribute) and give it exactly the app's privileges.

    Idempotent: every run revokes what the role had on the schema's tables and grants the set again.
    """
    if connection.dialect.name != "postgresql":
        raise AccountError("An application role is a PostgreSQL feature; a SQLite database is protected by "
                           "its file's permissions and its append-only triggers.")
    if not _NAME.fullmatch(role):
        raise AccountError("A role name is 1-63 lower-case letters, digits or underscores, not starting "
                           "with a digit.")
    _refuse_powerful(connection, role)
    quote = connection.dialect.identifier_preparer.quote
    name, schema = quote(role), quote(connection.scalar(text("SELECT current_schema()")))
    database = quote(connection.scalar(text("SELECT current_database()")))
    if connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}) is None:
        connection.execute(text(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"))
    if password is not None:
        _set_password(connection, role, password)
    for statement in (
        f"GRANT CONNECT ON DATABASE {database} TO {name}",
        f"GRANT USAGE ON SCHEMA {schema} TO {name}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {name}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {name}",
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {name}",
        f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {TABLE_PRIVILEGES} ON TABLES TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {SEQUENCE_PRIVILEGES} ON SEQUENCES TO {name}",
    ):
        connection.execute(text(statement))
    for table in (*APPEND_ONLY, *UPDATE_COLUMNS_ONLY, *READ_ONLY):
        connection.execute(text(f"REVOKE ALL ON {schema}.{quote(table)} FROM {name}"))
        connection.execute(text(f"GRANT SELECT ON {schema}.{quote(table)} TO {name}"))
    for table in APPEND_ONLY:
        connection.execute(text(f"GRANT INSERT ON {schema}.{quote(table)} TO {name}"))
    for table, columns in UPDATE_COLUMNS_ONLY.items():
        connection.execute(text(f"GRANT UPDATE ({', '.join(map(quote, columns))}) ON {schema}.{quote(table)} "
                                f"TO {name}"))


def _refuse_powerful(connection: Connection, role: str) -> None:
    """An app role that is, or acts as, the owner (or a superuser) could drop the triggers: refuse it."""
    row = connection.execute(text(
        "SELECT r.rolsuper OR r.rolbypassrls AS powerful, pg_has_role(r.oid, t.tableowner, 'MEMBER') AS owner "
        "FROM pg_roles r, pg_tables t WHERE r.rolname = :r AND t.schemaname = current_schema() "
        "AND t.tablename = 'audit_event'"), {"r": role}).one_or_none()
    if role == connection.scalar(text("SELECT current_user")) or (row is not None and row.owner):
        raise AccountError(f"The role {role} owns the tables (or is a member of their owner): the application "
                           "needs a role of its own.")
    if row is not None and row.powerful:
        raise AccountError(f"The role {role} is a superuser or bypasses row security: the application needs "
                           "a role without such powers.")


def _set_password(connection: Connection, role: str, password: str) -> None:
    from psycopg import sql  # the driver quotes the literal; a utility statement takes no bound parameters

    if not password or len(password) > 256 or "\x00" in password:
        raise AccountError("The role's password is 1-256 characters.")
    statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(statement)
