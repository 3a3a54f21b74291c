"""The trial path: ICF register, consent withdrawals, eligibility reviews, dose decisions, enrolment facts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:52:17.557146
"""
import sqlalchemy as sa
from alembic import op

import ecrf.infra.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('icf_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('population', sa.String(length=20), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("population IN ('ADULT', 'GUARDIAN', 'ASSENT')", name=op.f('ck_icf_version_population_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_icf_version')),
    sa.UniqueConstraint('version', 'population', name=op.f('uq_icf_version_version_population'))
    )
    op.create_table('dose_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('from_level', sa.Integer(), nullable=False),
    sa.Column('to_level', sa.Integer(), nullable=True),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('escalate', 'stay', 'de_escalate', 'stop')", name=op.f('ck_dose_decision_decision_known')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_dose_decision_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dose_decision'))
    )
    op.create_table('consent_withdrawal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("scope IN ('ALL', 'TREATMENT')", name=op.f('ck_consent_withdrawal_scope_known')),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_consent_withdrawal_subject_id_subject')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_withdrawal'))
    )
    with op.batch_alter_table('consent_withdrawal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_withdrawal_subject_id'), ['subject_id'], unique=False)

    op.create_table('eligibility_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', ecrf.infra.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('overridden', sa.String(length=200), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.CheckConstraint("overridden = '' OR override_reason IS NOT NULL", name=op.f('ck_eligibility_review_override_has_reason')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_eligibility_review_reviewed_by_id_user_account')),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], name=op.f('fk_eligibility_review_subject_id_subject')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_review'))
    )
    with op.batch_alter_table('eligibility_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eligibility_review_subject_id'), ['subject_id'], unique=False)

    with op.batch_alter_table('item_data', schema=None) as batch_op:
        batch_op.add_column(sa.Column('formula', sa.String(length=200), nullable=True))

    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('screen_fail_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('enrolled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('dose_level', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cohort_seq', sa.Integer(), nullable=True))
        batch_op.create_check_constraint('enrolment_complete', '(subject_no IS NULL) = (enrolled_on IS NULL)')
        batch_op.create_check_constraint('screen_fail_reason',
                                         "status <> 'screen_failed' OR screen_fail_reason IS NOT NULL")



def downgrade() -> None:
    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_subject_screen_fail_reason'), type_='check')
        batch_op.drop_constraint(op.f('ck_subject_enrolment_complete'), type_='check')
        batch_op.drop_column('cohort_seq')
        batch_op.drop_column('dose_level')
        batch_op.drop_column('enrolled_on')
        batch_op.drop_column('screen_fail_reason')

    with op.batch_alter_table('item_data', schema=None) as batch_op:
        batch_op.drop_column('formula')

    with op.batch_alter_table('eligibility_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eligibility_review_subject_id'))

    op.drop_table('eligibility_review')
    with op.batch_alter_table('consent_withdrawal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_withdrawal_subject_id'))

    op.drop_table('consent_withdrawal')
    op.drop_table('dose_decision')
    op.drop_table('icf_version')
