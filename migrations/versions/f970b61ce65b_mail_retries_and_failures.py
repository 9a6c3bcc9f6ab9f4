"""outbound mail: a next attempt per message (back-off) and failures kept for the coordinator

* ``next_attempt_at``: when a waiting message may be tried (again); the queue is read in
  this order, so a message that keeps failing moves back and never blocks the others;
* ``failed_at``: when delivery was given up (a permanent refusal, or retries exhausted);
  such messages are listed on the 宛先不明のメール page until sent again or discarded.

Existing rows wait from when they were queued. Messages the older code had given up
silently (unsent after its 10 attempts) become failed, dated when they were queued (the
day they were given up is not known), so they now show on the list.

The downgrade keeps every row: a failed message gets the older code's mark of one given
up (10 attempts or more, so it is not sent again), and a waiting message past 9 attempts
goes back to 9 (the older code would otherwise drop it without a try).

Revision ID: f970b61ce65b
Revises: b7e4d2a9c615
Create Date: 2026-12-09 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import tenants.base

# revision identifiers, used by Alembic.
revision = "f970b61ce65b"
down_revision = "b7e4d2a9c615"
branch_labels = None
depends_on = None

#: The older code's limit: a message with this many attempts is never tried again.
OLD_LIMIT = 10
WAITING = "sent_at IS NULL AND failed_at IS NULL"
FAILED = "failed_at IS NOT NULL"


def upgrade():
    # Plain ADD COLUMN on both (no batch copy: it would rebuild the table's CHECK constraint).
    op.add_column(
        "outbound_mail",
        sa.Column("next_attempt_at", tenants.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "outbound_mail",
        sa.Column("failed_at", tenants.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE outbound_mail SET next_attempt_at = created_at")
    op.execute(
        f"UPDATE outbound_mail SET failed_at = created_at "
        f"WHERE sent_at IS NULL AND attempts >= {OLD_LIMIT}"
    )
    op.create_index(
        "ix_outbound_mail_due",
        "outbound_mail",
        ["next_attempt_at", "id"],
        unique=False,
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )
    op.create_index(
        "ix_outbound_mail_failed",
        "outbound_mail",
        ["municipality_id", "failed_at"],
        unique=False,
        sqlite_where=sa.text(FAILED),
        postgresql_where=sa.text(FAILED),
    )


def downgrade():
    op.execute(
        f"UPDATE outbound_mail SET attempts = {OLD_LIMIT} "
        f"WHERE failed_at IS NOT NULL AND attempts < {OLD_LIMIT}"
    )
    op.execute(
        f"UPDATE outbound_mail SET attempts = {OLD_LIMIT - 1} "
        f"WHERE {WAITING} AND attempts >= {OLD_LIMIT}"
    )
    op.drop_index("ix_outbound_mail_failed", table_name="outbound_mail")
    op.drop_index("ix_outbound_mail_due", table_name="outbound_mail")
    # ALTER TABLE ... DROP COLUMN on both (SQLite 3.35+), for the same reason as above.
    op.drop_column("outbound_mail", "failed_at")
    op.drop_column("outbound_mail", "next_attempt_at")
