"""Visit dates are declared, not guessed: every stored visit date (study_event_data.actual_date) is recomputed
from the visit's declared date item (ecrf.study.schedule, StudyEvent.date_item) instead of the earliest date
on any of its forms, and each changed date gets an audit record (the system; old -> new; reason
VISIT_DATE_RULE with this revision), appended to the hash chain like every other change to trial data.

The recompute is ecrf.visits.redate.redate, which tests call too. The downgrade keeps the dates: the earliest-
date rule produced wrong dates, and a downgrade must not write them back.

Revision ID: 13vd
Revises: 12sae
"""
from alembic import op

revision = "13vd"
down_revision = "12sae"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from ecrf.visits.redate import redate

    redate(op.get_bind(), revision)


def downgrade() -> None:
    pass  # no schema change; the corrected dates stay (see above)
