"""Local laboratories per site and their normal ranges per analyte (age, sex and effective-date bands).

Revision ID: 13lab
Revises: 13elig
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = "13lab"
down_revision = "13elig"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "laboratory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_laboratory_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_laboratory")),
        sa.UniqueConstraint("site_id", "code", name=op.f("uq_laboratory_site_id_code")),
    )
    with op.batch_alter_table("laboratory", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_laboratory_site_id"), ["site_id"], unique=False)
    op.create_table(
        "normal_range",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("laboratory_id", sa.Integer(), nullable=False),
        sa.Column("analyte", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("low", sa.String(length=20), nullable=True),
        sa.Column("high", sa.String(length=20), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("created_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sex IS NULL OR sex IN ('M', 'F')", name=op.f("ck_normal_range_sex_known")),
        sa.CheckConstraint("low IS NOT NULL OR high IS NOT NULL", name=op.f("ck_normal_range_has_limit")),
        sa.CheckConstraint("effective_to IS NULL OR effective_to >= effective_from",
                           name=op.f("ck_normal_range_dates_ordered")),
        sa.CheckConstraint("age_min IS NULL OR age_max IS NULL OR age_max >= age_min",
                           name=op.f("ck_normal_range_ages_ordered")),
        sa.ForeignKeyConstraint(["laboratory_id"], ["laboratory.id"],
                                name=op.f("fk_normal_range_laboratory_id_laboratory")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_normal_range")),
    )
    with op.batch_alter_table("normal_range", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_normal_range_laboratory_id"), ["laboratory_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("normal_range", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_normal_range_laboratory_id"))
    op.drop_table("normal_range")
    with op.batch_alter_table("laboratory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_laboratory_site_id"))
    op.drop_table("laboratory")
