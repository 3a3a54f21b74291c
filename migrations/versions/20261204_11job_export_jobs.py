"""Export jobs: whole-site and whole-study exports run on the queue (huey), each a row that outlives a worker's
restart and holds its progress, its file's SHA-256 and when the file expires.

Revision ID: 11job
Revises: 10lck
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = "11job"
down_revision = "10lck"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("site_ids", sa.Text(), nullable=False),
        sa.Column("subject_key", sa.String(length=40), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("requested_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed', 'expired')",
                           name=op.f("ck_export_job_state_known")),
        sa.CheckConstraint("state <> 'running' OR lease_until IS NOT NULL", name=op.f("ck_export_job_running_leased")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_export_job_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_job")),
    )
    op.create_index("ix_export_job_state", "export_job", ["state", "lease_until"], unique=False)
    op.create_index("ix_export_job_user", "export_job", ["user_id", "requested_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_export_job_user", table_name="export_job")
    op.drop_index("ix_export_job_state", table_name="export_job")
    op.drop_table("export_job")
