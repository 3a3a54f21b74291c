"""The keyed audit chain: where the key applies from, the head's MAC, and triggers guarding the head row.

Existing records are never rewritten: ``keyed_from`` is set to the next sequence number, so they verify as
the SHA-256 records they are and every record from then on is HMAC-SHA256 (ecrf.audit.chain). The head row
may then move only as the chain's append moves it: forward, to the hash of an existing record, keeping
``keyed_from``; INSERT, DELETE (and TRUNCATE) are refused. On PostgreSQL the trigger is ENABLE ALWAYS, like
the audit table's, so session_replication_role = replica does not silence it.

Revision ID: 9audit
Revises: 9mail
"""
import sqlalchemy as sa
from alembic import op

revision = "9audit"
down_revision = "9mail"
branch_labels = None
depends_on = None

MESSAGE = "audit_head moves only with the audit chain"


def upgrade() -> None:
    from ecrf.audit.chain import mark_schema

    op.add_column("audit_head", sa.Column("keyed_from", sa.BigInteger(), nullable=True))
    op.add_column("audit_head", sa.Column("mac", sa.String(length=64), nullable=True))
    op.execute("UPDATE audit_head SET keyed_from = seq + 1")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    IF NEW.id = OLD.id AND NEW.keyed_from IS NOT DISTINCT FROM OLD.keyed_from AND (
                        (NEW.seq = OLD.seq AND NEW.hash = OLD.hash AND NEW.mac IS NOT DISTINCT FROM OLD.mac)
                        OR (NEW.seq > OLD.seq
                            AND NEW.hash = (SELECT hash FROM audit_event WHERE seq = NEW.seq))) THEN
                        RETURN NEW;
                    END IF;
                END IF;
                RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        op.execute("CREATE TRIGGER audit_head_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_head "
                   "FOR EACH ROW EXECUTE FUNCTION audit_head_guard()")
        op.execute("CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_guard()")
        op.execute("ALTER TABLE audit_head ENABLE ALWAYS TRIGGER audit_head_guard")
        op.execute("ALTER TABLE audit_head ENABLE ALWAYS TRIGGER audit_head_no_truncate")
    else:
        # INSERT too: INSERT OR REPLACE would delete the row without firing the DELETE trigger
        for action in ("INSERT", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_head_no_{action.lower()} BEFORE {action} ON audit_head "
                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {action} refused'); END")
        # COALESCE: a comparison with NULL (a head moved to a record that does not exist) refuses too
        op.execute(f"""
            CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
            WHEN NOT COALESCE(NEW.id = OLD.id AND NEW.keyed_from IS OLD.keyed_from AND (
                (NEW.seq = OLD.seq AND NEW.hash = OLD.hash AND NEW.mac IS OLD.mac)
                OR (NEW.seq > OLD.seq AND NEW.hash = (SELECT hash FROM audit_event WHERE seq = NEW.seq))), 0)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END
        """)
    mark_schema(op.get_bind(), True)


def downgrade() -> None:
    from ecrf.audit.chain import mark_schema

    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER audit_head_guard ON audit_head")
        op.execute("DROP FUNCTION audit_head_guard()")
    else:
        for name in ("insert", "delete", "forward_only"):
            op.execute(f"DROP TRIGGER audit_head_{'no_' if name != 'forward_only' else ''}{name}")
    op.drop_column("audit_head", "mac")
    op.drop_column("audit_head", "keyed_from")
    mark_schema(op.get_bind(), False)
