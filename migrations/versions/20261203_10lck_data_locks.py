"""Freeze and lock: one append-only table of freezes and locks (form, visit, casebook, site, study, "up to" a visit);
FormData's unused locked_at/locked_by_id go (one source of truth). A form locked through those columns, if any,
becomes a form-scope lock by the same person.

Revision ID: 10lck
Revises: 9sess
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = "10lck"
down_revision = "10qry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("event_oid", sa.String(length=64), nullable=True),
        sa.Column("event_repeat", sa.Integer(), nullable=True),
        sa.Column("form_oid", sa.String(length=64), nullable=True),
        sa.Column("form_repeat", sa.Integer(), nullable=True),
        sa.Column("up_to_event_oid", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("undone_by_id", sa.Integer(), nullable=True),
        sa.Column("undone_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undo_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("scope IN ('form', 'event', 'subject', 'site', 'study')", name=op.f("ck_data_lock_scope_known")),
        sa.CheckConstraint("level IN ('frozen', 'locked')", name=op.f("ck_data_lock_level_known")),
        sa.CheckConstraint("scope = 'study' OR site_id IS NOT NULL", name=op.f("ck_data_lock_site_named")),
        sa.CheckConstraint("scope IN ('study', 'site') OR subject_id IS NOT NULL",
                           name=op.f("ck_data_lock_subject_named")),
        sa.CheckConstraint("scope NOT IN ('event', 'form') OR event_oid IS NOT NULL",
                           name=op.f("ck_data_lock_event_named")),
        sa.CheckConstraint("scope <> 'form' OR form_oid IS NOT NULL", name=op.f("ck_data_lock_form_named")),
        sa.CheckConstraint("up_to_event_oid IS NULL OR scope IN ('subject', 'site', 'study')",
                           name=op.f("ck_data_lock_up_to_wide")),
        sa.CheckConstraint("(undone_at IS NULL) = (undone_by_id IS NULL) AND (undone_at IS NULL) = "
                           "(undo_reason IS NULL)", name=op.f("ck_data_lock_undo_attributed")),
        sa.CheckConstraint("reason <> ''", name=op.f("ck_data_lock_reason_given")),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_data_lock_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_data_lock_site_id_site")),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_data_lock_subject_id_subject")),
        sa.ForeignKeyConstraint(["undone_by_id"], ["user_account.id"],
                                name=op.f("fk_data_lock_undone_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_lock")),
    )
    op.create_index("ix_data_lock_active", "data_lock", ["undone_at", "site_id"], unique=False)
    op.create_index(op.f("ix_data_lock_subject_id"), "data_lock", ["subject_id"], unique=False)
    op.execute(
        "INSERT INTO data_lock (scope, level, site_id, subject_id, event_oid, event_repeat, form_oid, form_repeat, "
        "reason, created_by_id, created_at) "
        "SELECT 'form', 'locked', s.site_id, s.id, e.event_oid, e.repeat_key, f.form_oid, f.repeat_key, "
        "'locked before freeze and lock (form_data.locked_at)', f.locked_by_id, f.locked_at "
        "FROM form_data f JOIN study_event_data e ON e.id = f.event_id JOIN subject s ON s.id = e.subject_id "
        "WHERE f.locked_at IS NOT NULL")
    with op.batch_alter_table("form_data", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_form_data_lock_attributed"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_form_data_locked_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("locked_by_id")
        batch_op.drop_column("locked_at")


def downgrade() -> None:
    with op.batch_alter_table("form_data", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("locked_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_form_data_locked_by_id_user_account"), "user_account",
                                    ["locked_by_id"], ["id"])
        batch_op.create_check_constraint(batch_op.f("ck_form_data_lock_attributed"),
                                         "(locked_at IS NULL) = (locked_by_id IS NULL)")
    op.drop_index(op.f("ix_data_lock_subject_id"), table_name="data_lock")
    op.drop_index("ix_data_lock_active", table_name="data_lock")
    op.drop_table("data_lock")
