"""Queries on items and their threads; the database keeps the threads append-only.

``item_query_message`` refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL), and ``item_query`` refuses
DELETE, as the audit table does (migration 0002): a query's state moves, its steps are never rewritten.

Revision ID: 10qry
Revises: 9sess
Create Date: 2026-12-02 14:30:44.242513
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = '10qry'
down_revision = '10sdv'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item_query',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('item_oid', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('raised_role', sa.String(length=20), nullable=False),
    sa.Column('check_id', sa.String(length=64), nullable=True),
    sa.Column('raised_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(raised_role = 'system') = (check_id IS NOT NULL)", name=op.f('ck_item_query_system_has_check')),
    sa.CheckConstraint("(raised_role = 'system') = (raised_by_id IS NULL)", name=op.f('ck_item_query_raiser_attributed')),
    sa.CheckConstraint("raised_role IN ('monitor', 'data_manager', 'system')", name=op.f('ck_item_query_raiser_role_known')),
    sa.CheckConstraint("state IN ('open', 'answered', 'closed', 'cancelled')", name=op.f('ck_item_query_state_known')),
    sa.ForeignKeyConstraint(['form_id'], ['form_data.id'], name=op.f('fk_item_query_form_id_form_data')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['user_account.id'], name=op.f('fk_item_query_raised_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_query'))
    )
    with op.batch_alter_table('item_query', schema=None) as batch_op:
        batch_op.create_index('ix_item_query_form_item', ['form_id', 'item_oid'], unique=False)
        batch_op.create_index('ix_item_query_state', ['state', 'raised_at'], unique=False)

    op.create_table('item_query_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('state_after', sa.String(length=20), nullable=False),
    sa.CheckConstraint("state_after IN ('open', 'answered', 'closed', 'cancelled')", name=op.f('ck_item_query_message_state_known')),
    sa.CheckConstraint("step IN ('raise', 'answer', 'close', 'cancel', 'reopen')", name=op.f('ck_item_query_message_step_known')),
    sa.ForeignKeyConstraint(['query_id'], ['item_query.id'], name=op.f('fk_item_query_message_query_id_item_query')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_item_query_message_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_query_message'))
    )
    with op.batch_alter_table('item_query_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_query_message_query_id'), ['query_id'], unique=False)
    _guards_up()


#: table -> the statements refused on it
GUARDED = {"item_query_message": ("UPDATE", "DELETE"), "item_query": ("DELETE",)}


def _guards_up() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION item_query_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        for table, actions in GUARDED.items():
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(actions)} ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION item_query_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION item_query_append_only()")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
    else:
        for table, actions in GUARDED.items():
            for action in actions:
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END")


def _guards_down() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION item_query_append_only()")
    else:
        for table, actions in GUARDED.items():
            for action in actions:
                op.execute(f"DROP TRIGGER {table}_no_{action.lower()}")



def downgrade() -> None:
    _guards_down()
    with op.batch_alter_table('item_query_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_query_message_query_id'))

    op.drop_table('item_query_message')
    with op.batch_alter_table('item_query', schema=None) as batch_op:
        batch_op.drop_index('ix_item_query_state')
        batch_op.drop_index('ix_item_query_form_item')

    op.drop_table('item_query')
