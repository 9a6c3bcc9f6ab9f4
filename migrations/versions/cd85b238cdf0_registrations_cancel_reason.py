"""registrations.cancel_reason: why the platform cancelled a registration (the person left)

A person who leaves (disabled by hand or by a roster import) loses their future
registrations; each keeps who cancelled it (cancelled_by_id) and now why.

Revision ID: cd85b238cdf0
Revises: 2922a1c65c7f
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cd85b238cdf0"
down_revision = "2922a1c65c7f"
branch_labels = None
depends_on = None


def upgrade():
    # A plain nullable column: SQLite adds it in place (no rebuild of a large table).
    op.add_column(
        "registrations",
        sa.Column(
            "cancel_reason",
            sa.Enum("left", name="cancelreason", native_enum=False, length=20),
            nullable=True,
        ),
    )


def downgrade():
    # Dropping the column would lose why registrations were cancelled: refuse while any says.
    kept = op.get_bind().execute(
        sa.text("SELECT count(*) FROM registrations WHERE cancel_reason IS NOT NULL")
    )
    if kept.scalar():
        raise RuntimeError(
            "registrations.cancel_reason holds reasons (people who left): "
            "downgrading would lose them; keep this revision"
        )
    # Dropped in place on both databases (SQLite 3.35+): rebuilding the table on SQLite
    # would drop it under the rows that refer to it.
    op.execute("ALTER TABLE registrations DROP COLUMN cancel_reason")
