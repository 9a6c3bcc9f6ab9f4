"""edit versions: rows people edit in forms count their saved changes

``version`` on ``training_sessions``, ``targets``, ``users``, ``programs``,
``org_units``, ``measures`` and ``qualifications`` (1 for every existing row): an edit
form and an API ETag carry the version they were loaded at, and a save of an older
version is refused instead of overwriting what someone else saved meanwhile
(regional/versions.py).

The downgrade drops the counters: they hold no fact of their own (only how many saves a
row has seen), so nothing of substance is lost.

Revision ID: b7e4d2a9c615
Revises: 8811e78228d8
Create Date: 2026-12-07 13:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4d2a9c615'
down_revision = '8811e78228d8'
branch_labels = None
depends_on = None

TABLES = (
    "training_sessions",
    "targets",
    "users",
    "programs",
    "org_units",
    "measures",
    "qualifications",
)


# Plain ALTER TABLE on both databases (SQLite adds and drops a column in place): a batch
# operation would copy and drop tables that others reference, which SQLite's foreign keys refuse.
def upgrade():
    for table in TABLES:
        op.add_column(
            table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )


def downgrade():
    for table in reversed(TABLES):
        op.drop_column(table, "version")
