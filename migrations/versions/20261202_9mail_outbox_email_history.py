"""Mail that is never lost, and accounts nobody can take over: the mail outbox and its delivery attempts,
users' e-mail addresses (reset links go there only), and the hashes of users' past passwords.

Revision ID: 9mail
Revises: 9totp
Create Date: 2026-12-02 06:17:07.159335
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = '9mail'
down_revision = '9totp'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claim', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name=op.f('ck_mail_outbox_status_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
    )
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_mail_outbox_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table('mail_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('claim', sa.String(length=64), nullable=False),
    sa.Column('started_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['mail_outbox.id'], name=op.f('fk_mail_attempt_message_id_mail_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_attempt'))
    )
    with op.batch_alter_table('mail_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_attempt_message_id'), ['message_id'], unique=False)

    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_password_history_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_history'))
    )
    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_history_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('password_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_history_user_id'))

    op.drop_table('password_history')
    with op.batch_alter_table('mail_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_attempt_message_id'))

    op.drop_table('mail_attempt')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_due')

    op.drop_table('mail_outbox')
