"""An item may be answered "not done" or "unknown" with a reason instead of a value (complete means complete).

Revision ID: 10chk
Revises: 9sess
"""
import sqlalchemy as sa
from alembic import op

revision = "10chk"
down_revision = "9sess"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_data", schema=None) as batch_op:
        batch_op.add_column(sa.Column("missing_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("missing_reason", sa.String(length=500), nullable=True))
        batch_op.create_check_constraint("missing_known", "missing_code IS NULL OR missing_code IN ('NOT_DONE', "
                                                          "'UNKNOWN')")
        batch_op.create_check_constraint("missing_alone_with_reason",
                                         "missing_code IS NULL OR (value IS NULL AND missing_reason IS NOT NULL)")


def downgrade() -> None:
    with op.batch_alter_table("item_data", schema=None) as batch_op:
        batch_op.drop_constraint("missing_alone_with_reason", type_="check")
        batch_op.drop_constraint("missing_known", type_="check")
        batch_op.drop_column("missing_reason")
        batch_op.drop_column("missing_code")
