"""A per-user session epoch: a session is valid only while it carries the user's current epoch.

Logging out, changing or resetting the password raise the epoch, so a session cookie copied before any of
these no longer authenticates (the cookie is client-side; the epoch is the server's word on it).

Revision ID: 9sess
Revises: 9audit
"""
import sqlalchemy as sa
from alembic import op

revision = "9sess"
down_revision = "9audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
