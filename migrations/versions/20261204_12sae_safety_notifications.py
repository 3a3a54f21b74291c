"""Safety notifications: one row per (kind, form) for each safety event mailed (a new SAE, a positive pregnancy
test, CRS or ICANS of grade 3 or more, a DLT), so an event is mailed once and a later edit does not mail it again.

Revision ID: 12sae
Revises: 11job
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = "12sae"
down_revision = "11job"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "safety_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("created_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('sae', 'pregnancy', 'crs_grade3', 'icans_grade3', 'dlt')",
                           name=op.f("ck_safety_notification_kind_known")),
        sa.ForeignKeyConstraint(["form_id"], ["form_data.id"], name=op.f("fk_safety_notification_form_id_form_data")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_notification")),
        sa.UniqueConstraint("kind", "form_id", name=op.f("uq_safety_notification_kind_form_id")),
    )
    with op.batch_alter_table("safety_notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_notification_form_id"), ["form_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safety_notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_notification_form_id"))
    op.drop_table("safety_notification")
