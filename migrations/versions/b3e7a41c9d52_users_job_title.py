"""users.job_title: the person's job title (役職) as the personnel system writes it

Free text read from a roster's optional 役職 column and written back by the export; it
decides nothing (who heads a unit is ``unit_heads``). And ``ix_users_unit`` (member, unit):
a head's page reads the people of their units.

Revision ID: b3e7a41c9d52
Revises: 7c1d5e9a3b26
Create Date: 2026-12-08 10:00:00

"""

import sqlalchemy as sa
from alembic import op

from regional.downgrades import count, refuse_to_lose

# revision identifiers, used by Alembic.
revision = "b3e7a41c9d52"
down_revision = "7c1d5e9a3b26"
branch_labels = None
depends_on = None


def upgrade():
    # A plain nullable column: SQLite adds it in place (no rebuild of a large table).
    op.add_column("users", sa.Column("job_title", sa.String(length=100), nullable=True))
    op.create_index("ix_users_unit", "users", ["municipality_id", "org_unit_id"])


def downgrade():
    refuse_to_lose(
        {"job titles (役職)": count("users", "job_title IS NOT NULL")},
        "Clear them (UPDATE users SET job_title = NULL) only if the personnel system's "
        "file will bring them back.",
    )
    op.drop_index("ix_users_unit", table_name="users")
    # Dropped in place on both databases (SQLite 3.35+): rebuilding the users table on
    # SQLite would drop it under every row that refers to it.
    op.execute("ALTER TABLE users DROP COLUMN job_title")
