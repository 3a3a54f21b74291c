"""Source-data verification: each item's verification against source, and each site's SDV plan.

Revision ID: 10sdv
Revises: 9sess
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = '10sdv'
down_revision = '10sig'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sdv_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('full_first_n', sa.Integer(), nullable=False),
    sa.Column('then_rule', sa.String(length=20), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("then_rule IN ('critical', 'all', 'none')", name=op.f('ck_sdv_plan_then_known')),
    sa.CheckConstraint('full_first_n >= 0', name=op.f('ck_sdv_plan_full_first_not_negative')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_sdv_plan_site_id_site')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_sdv_plan_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sdv_plan')),
    sa.UniqueConstraint('site_id', name=op.f('uq_sdv_plan_site_id'))
    )
    op.create_table('item_verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('item_oid', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('verified_value', sa.Text(), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=False),
    sa.Column('verified_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state <> 'changed' OR changed_at IS NOT NULL", name=op.f('ck_item_verification_change_dated')),
    sa.CheckConstraint("state IN ('verified', 'changed')", name=op.f('ck_item_verification_state_known')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_item_verification_changed_by_id_user_account')),
    sa.ForeignKeyConstraint(['form_id'], ['form_data.id'], name=op.f('fk_item_verification_form_id_form_data')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['user_account.id'], name=op.f('fk_item_verification_verified_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_verification')),
    sa.UniqueConstraint('form_id', 'item_oid', name=op.f('uq_item_verification_form_id_item_oid'))
    )
    with op.batch_alter_table('item_verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_verification_form_id'), ['form_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('item_verification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_verification_form_id'))

    op.drop_table('item_verification')
    op.drop_table('sdv_plan')
