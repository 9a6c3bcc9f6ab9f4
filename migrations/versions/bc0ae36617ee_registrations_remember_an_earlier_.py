"""registrations remember an earlier completion (受講済み) and the reason for taking it again

Revision ID: bc0ae36617ee
Revises: c9406b4d809f
Create Date: 2026-12-07 12:20:41.118043

Registrations still standing (awaiting approval, enrolled or waiting, attendance not
recorded) get ``completed_before`` from the completions already on record, so the
approval list shows the mark for requests made before this upgrade too.

The downgrade refuses, changing nothing, while any registration holds a reason a
person gave (``repeat_reason``): it would be lost. ``completed_before`` is derived
from the completions and may go.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'bc0ae36617ee'
down_revision = 'c9406b4d809f'
branch_labels = None
depends_on = None

registrations = sa.table(
    'registrations',
    sa.column('id', sa.Integer),
    sa.column('municipality_id', sa.Integer),
    sa.column('employee_id', sa.Integer),
    sa.column('session_id', sa.Integer),
    sa.column('status', sa.String),
    sa.column('attended', sa.Boolean),
    sa.column('completed_before', sa.Date),
    sa.column('repeat_reason', sa.String),
)
sessions = sa.table(
    'training_sessions', sa.column('id', sa.Integer), sa.column('program_id', sa.Integer)
)
completions = sa.table(
    'completions',
    sa.column('municipality_id', sa.Integer),
    sa.column('employee_id', sa.Integer),
    sa.column('program_id', sa.Integer),
    sa.column('registration_id', sa.Integer),
    sa.column('completed_on', sa.Date),
)


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_before', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('repeat_reason', sa.String(length=200), nullable=True))

    conn = op.get_bind()
    if conn.dialect.name == "postgresql":  # every member's rows, for this transaction only
        conn.exec_driver_sql("SELECT set_config('app.all_tenants', 'on', true)")
    latest = (
        sa.select(sa.func.max(completions.c.completed_on))
        .where(
            completions.c.municipality_id == registrations.c.municipality_id,
            completions.c.employee_id == registrations.c.employee_id,
            completions.c.program_id
            == sa.select(sessions.c.program_id)
            .where(sessions.c.id == registrations.c.session_id)
            .scalar_subquery(),
            completions.c.registration_id.is_distinct_from(registrations.c.id),
        )
        .scalar_subquery()
    )
    conn.execute(
        registrations.update()
        .where(
            registrations.c.status.in_(['pending', 'enrolled', 'waitlisted']),
            registrations.c.attended.is_(None),
        )
        .values(completed_before=latest)
    )


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT set_config('app.all_tenants', 'on', true)")
    reasons = conn.execute(
        sa.select(sa.func.count()).where(registrations.c.repeat_reason.is_not(None))
    ).scalar_one()
    if reasons:
        raise RuntimeError(
            f"Refusing to downgrade: {reasons} registration(s) hold the reason a person gave "
            "for taking a completed programme again, which the old table cannot keep. "
            "Nothing was changed."
        )
    # ALTER TABLE ... DROP COLUMN on both (SQLite 3.35+): a batch copy of registrations would
    # drop a table that completions and certificates reference.
    op.drop_column('registrations', 'repeat_reason')
    op.drop_column('registrations', 'completed_before')
