"""Foundation schema: sites, users, subjects, study events, forms, item values, the audit table.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 23:45:53.878610
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ts', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('actor_sites', sa.String(length=200), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=40), nullable=True),
    sa.Column('entity_key', sa.String(length=300), nullable=True),
    sa.Column('site_code', sa.String(length=20), nullable=True),
    sa.Column('subject_key', sa.String(length=40), nullable=True),
    sa.Column('event_oid', sa.String(length=64), nullable=True),
    sa.Column('form_oid', sa.String(length=64), nullable=True),
    sa.Column('item_oid', sa.String(length=64), nullable=True),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_subject_item', ['subject_key', 'item_oid', 'seq'], unique=False)
        batch_op.create_index('ix_audit_event_subject_seq', ['subject_key', 'seq'], unique=False)
        batch_op.create_index('ix_audit_event_user_seq', ['username', 'seq'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    # The chain starts from a genesis head; every audit append locks and moves this row.
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    op.create_table('counter',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counter'))
    )
    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    sa.UniqueConstraint('code', name=op.f('uq_site_code'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_active_account', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'investigator', 'coordinator', 'monitor', 'data_manager', 'sponsor')", name=op.f('ck_user_account_role_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('password_reset_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_password_reset_token_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_password_reset_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_token_hash'))
    )
    op.create_table('subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('subject_no', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('screening', 'screen_failed', 'enrolled', 'infused', 'follow_up', 'completed', 'withdrawn')", name=op.f('ck_subject_status_known')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_subject_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject')),
    sa.UniqueConstraint('key', name=op.f('uq_subject_key')),
    sa.UniqueConstraint('subject_no', name=op.f('uq_subject_subject_no'))
    )
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_site_id'), ['site_id'], unique=False)

    op.create_table('user_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_user_site_site_id_site')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_site_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_site')),
    sa.UniqueConstraint('user_id', 'site_id', name=op.f('uq_user_site_user_id_site_id'))
    )
    op.create_table('study_event_data',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('event_oid', sa.String(length=64), nullable=False),
    sa.Column('repeat_key', sa.Integer(), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=True),
    sa.Column('actual_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('not_done_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status <> 'not_done' OR not_done_reason IS NOT NULL", name=op.f('ck_study_event_data_not_done_has_reason')),
    sa.CheckConstraint("status IN ('scheduled', 'in_progress', 'completed', 'not_done')", name=op.f('ck_study_event_data_status_known')),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_study_event_data_subject_id_subject')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_event_data')),
    sa.UniqueConstraint('subject_id', 'event_oid', 'repeat_key', name=op.f('uq_study_event_data_subject_id_event_oid_repeat_key'))
    )
    with op.batch_alter_table('study_event_data', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_study_event_data_subject_id'), ['subject_id'], unique=False)

    op.create_table('form_data',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('form_oid', sa.String(length=64), nullable=False),
    sa.Column('repeat_key', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('completed_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('incomplete', 'complete')", name=op.f('ck_form_data_status_known')),
    sa.CheckConstraint('(locked_at IS NULL) = (locked_by_id IS NULL)', name=op.f('ck_form_data_lock_attributed')),
    sa.ForeignKeyConstraint(['event_id'], ['study_event_data.id'], name=op.f('fk_form_data_event_id_study_event_data')),
    sa.ForeignKeyConstraint(['locked_by_id'], ['user_account.id'], name=op.f('fk_form_data_locked_by_id_user_account')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_form_data_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_data')),
    sa.UniqueConstraint('event_id', 'form_oid', 'repeat_key', name=op.f('uq_form_data_event_id_form_oid_repeat_key'))
    )
    with op.batch_alter_table('form_data', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_data_event_id'), ['event_id'], unique=False)

    op.create_table('item_data',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('item_oid', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('batch_sentinel', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['form_id'], ['form_data.id'], name=op.f('fk_item_data_form_id_form_data')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_data')),
    sa.UniqueConstraint('form_id', 'item_oid', name=op.f('uq_item_data_form_id_item_oid'))
    )
    with op.batch_alter_table('item_data', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_data_form_id'), ['form_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('item_data', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_data_form_id'))

    op.drop_table('item_data')
    with op.batch_alter_table('form_data', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_data_event_id'))

    op.drop_table('form_data')
    with op.batch_alter_table('study_event_data', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_study_event_data_subject_id'))

    op.drop_table('study_event_data')
    op.drop_table('user_site')
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subject_site_id'))

    op.drop_table('subject')
    op.drop_table('password_reset_token')
    op.drop_table('user_account')
    op.drop_table('site')
    op.drop_table('counter')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_user_seq')
        batch_op.drop_index('ix_audit_event_subject_seq')
        batch_op.drop_index('ix_audit_event_subject_item')

    op.drop_table('audit_event')
