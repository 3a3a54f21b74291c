"""Planned visit dates are derived from the schedule and the anchor dates, not stored (they went stale
when an anchor date was corrected); drop the never-filled column.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 00:07:50.784236
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('study_event_data', schema=None) as batch_op:
        batch_op.drop_column('planned_date')



def downgrade() -> None:
    with op.batch_alter_table('study_event_data', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_date', sa.DATE(), nullable=True))

