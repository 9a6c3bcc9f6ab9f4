"""outbox rows that are rendered at delivery: template and parameters, text filled in later

Registration notices are queued with their template name and parameters (the
registration's state at the event) and rendered by the dispatcher after the
commit. Rows queued before this migration keep their subject and body and are
delivered as they are.

The downgrade refuses while a message waits for its text (rendering needs today's code).

Revision ID: f8030d296394
Revises: 6e418cf43cb9
Create Date: 2026-11-29 21:00:00

"""

import sqlalchemy as sa
from alembic import op

from regional.downgrades import count, refuse_to_lose

# revision identifiers, used by Alembic.
revision = "f8030d296394"
down_revision = "6e418cf43cb9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("template", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=True)
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=True)
        batch_op.create_check_constraint(
            "rendered_or_deferred", "body IS NOT NULL OR template IS NOT NULL"
        )


def downgrade():
    # A row still waiting for its text cannot be kept without it, and it cannot be rendered
    # here: the renderers read today's models, not this revision's schema. With
    # MAIL_DELIVERY=deferred that is every notice of the last cron interval: deliver them
    # (or decide to drop them) first.
    refuse_to_lose(
        {"queued messages not yet written": count("outbound_mail", "body IS NULL")},
        "Stop the application, run `flask send-mail` with the mail server reachable, then "
        "downgrade; a message that cannot be written stays (delete it from outbound_mail "
        "only if it is not wanted).",
    )
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.drop_constraint("rendered_or_deferred", type_="check")
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column("params")
        batch_op.drop_column("template")
