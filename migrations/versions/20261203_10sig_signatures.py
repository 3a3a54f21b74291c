"""Electronic signatures over a form, a visit, a casebook or a subject's eligibility data; eligibility reviews
link to theirs.

Revision ID: 10sig
Revises: 9sess
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = "10sig"
down_revision = "10chk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("event_oid", sa.String(length=64), nullable=True),
        sa.Column("event_repeat", sa.Integer(), nullable=True),
        sa.Column("form_oid", sa.String(length=64), nullable=True),
        sa.Column("form_repeat", sa.Integer(), nullable=True),
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("signed_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("meaning", sa.String(length=200), nullable=False),
        sa.Column("data_hash", sa.String(length=64), nullable=False),
        sa.Column("broken_at", ecrf.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("broken_by_id", sa.Integer(), nullable=True),
        sa.Column("broken_cause", sa.Text(), nullable=True),
        sa.CheckConstraint("scope IN ('form', 'visit', 'casebook', 'eligibility')",
                           name=op.f("ck_signature_scope_known")),
        sa.CheckConstraint("(broken_at IS NULL) = (broken_cause IS NULL)", name=op.f("ck_signature_break_has_cause")),
        sa.ForeignKeyConstraint(["subject_id"], ["subject.id"], name=op.f("fk_signature_subject_id_subject")),
        sa.ForeignKeyConstraint(["signer_id"], ["user_account.id"], name=op.f("fk_signature_signer_id_user_account")),
        sa.ForeignKeyConstraint(["broken_by_id"], ["user_account.id"],
                                name=op.f("fk_signature_broken_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
    )
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signature_subject_id"), ["subject_id"], unique=False)
    with op.batch_alter_table("eligibility_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_eligibility_review_signature_id_signature"), "signature",
                                    ["signature_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("eligibility_review", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_eligibility_review_signature_id_signature"), type_="foreignkey")
        batch_op.drop_column("signature_id")
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signature_subject_id"))
    op.drop_table("signature")
