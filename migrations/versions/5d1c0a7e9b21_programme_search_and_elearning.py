"""programme keyword search text and e-learning address

The downgrade refuses while a programme has an e-learning address (the search text is derived and goes).

Revision ID: 5d1c0a7e9b21
Revises: ee767ffd2dd6
Create Date: 2026-11-29 20:45:00.000000

"""
import unicodedata

import sqlalchemy as sa
from alembic import op
from regional.downgrades import count, refuse_to_lose

# revision identifiers, used by Alembic.
revision = '5d1c0a7e9b21'
down_revision = 'ee767ffd2dd6'
branch_labels = None
depends_on = None


def _fold(text):
    # The same folding as regional.catalogue.models.fold, frozen here as of this migration.
    return unicodedata.normalize("NFKC", text or "").casefold()


def upgrade():
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elearning_url', sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column('search_text', sa.Text(), nullable=False, server_default='')
        )
    programs = sa.table(
        'programs',
        sa.column('id', sa.Integer),
        sa.column('code', sa.String),
        sa.column('title_ja', sa.String),
        sa.column('title_en', sa.String),
        sa.column('description_ja', sa.Text),
        sa.column('description_en', sa.Text),
        sa.column('search_text', sa.Text),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            programs.c.id,
            programs.c.code,
            programs.c.title_ja,
            programs.c.title_en,
            programs.c.description_ja,
            programs.c.description_en,
        )
    ).all()
    for row in rows:
        text = "\n".join(_fold(v) for v in row[1:])
        bind.execute(
            programs.update().where(programs.c.id == row.id).values(search_text=text)
        )


def downgrade():
    # search_text is computed from the titles again; an e-learning address is a fact.
    refuse_to_lose(
        {"e-learning addresses of programmes": count("programs", "elearning_url IS NOT NULL")},
        "Clear them on the programmes first.",
    )
    # ALTER TABLE ... DROP COLUMN on both (SQLite 3.35+): a batch copy of programs would drop
    # a table that sessions, completions and interests reference.
    op.drop_column('programs', 'search_text')
    op.drop_column('programs', 'elearning_url')
