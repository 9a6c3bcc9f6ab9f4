"""notice versions: a notice counts its saved changes

``version`` on ``notices`` (1 for every existing notice): the API's ETag of a notice, which
a change sent with If-Match must still carry (regional/versions.py), as for sessions,
targets and employees.

The downgrade drops the counter: it holds no fact of its own (only how many saves a notice
has seen), so nothing of substance is lost.

Revision ID: 5d2f8b1c7e40
Revises: b7e3f1a9c2d4
Create Date: 2026-12-08 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d2f8b1c7e40"
down_revision = "b7e3f1a9c2d4"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases, as the edit-versions revision does (a batch operation
# would copy a table that notice_reads references).
def upgrade():
    op.add_column(
        "notices", sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )


def downgrade():
    op.drop_column("notices", "version")
