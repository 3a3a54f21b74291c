"""Eligibility confirmed over missing data: the acknowledged list of missing items is kept with the review.

Revision ID: 13elig
Revises: 13vd
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = "13elig"
down_revision = "13vd"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("eligibility_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missing_acknowledged", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("eligibility_review", schema=None) as batch_op:
        batch_op.drop_column("missing_acknowledged")
