"""login_throttle.window_started_at: client addresses are counted in fixed windows

The sign-in throttle now keys failures on (account, address) and on the account,
and keeps an address-wide count in fixed windows (a town hall behind one LGWAN
address never has an hour without a typo, so "forgotten after an hour of quiet"
would never forget it). The window's start is a new column; existing rows start
their window at their last failure.

Throttle rows are transient counters (forgotten within the hour anyway): the
downgrade drops the column and keeps the rows, which the older code reads as
before. Nothing of lasting value is lost either way.

Revision ID: 5a7e2c41d9b3
Revises: bc0ae36617ee
Create Date: 2026-12-08 10:00:00

"""

import sqlalchemy as sa
import tenants.base
from alembic import op

# revision identifiers, used by Alembic.
revision = "5a7e2c41d9b3"
down_revision = "bc0ae36617ee"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_throttle") as batch:
        batch.add_column(
            sa.Column("window_started_at", tenants.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE login_throttle SET window_started_at = last_failure_at")
    with op.batch_alter_table("login_throttle") as batch:
        batch.alter_column(
            "window_started_at",
            existing_type=tenants.base.UTCDateTime(timezone=True),
            nullable=False,
        )


def downgrade():
    # The column only says when a count began; the counts themselves stay.
    with op.batch_alter_table("login_throttle") as batch:
        batch.drop_column("window_started_at")
