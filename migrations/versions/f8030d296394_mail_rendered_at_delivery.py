"""outbox rows that are rendered at delivery: template and parameters, text filled in later

Registration notices are queued with their template name and parameters (the
registration's state at the event) and rendered by the dispatcher after the
commit. Rows queued before this migration keep their subject and body and are
delivered as they are.

Revision ID: f8030d296394
Revises: 6e418cf43cb9
Create Date: 2026-11-29 21:00:00

"""

import sqlalchemy as sa
from alembic import op

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
    # Render nothing here: rows still waiting for their text cannot be kept without it.
    op.execute("DELETE FROM outbound_mail WHERE body IS NULL")
    with op.batch_alter_table("outbound_mail", schema=None) as batch_op:
        batch_op.drop_constraint("rendered_or_deferred", type_="check")
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.alter_column("subject", existing_type=sa.String(length=300), nullable=False)
        batch_op.drop_column("params")
        batch_op.drop_column("template")
