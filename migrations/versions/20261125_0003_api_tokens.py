"""API tokens: bearer tokens for the JSON API, stored hashed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:48:09.748260
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
