"""notices (お知らせ): notices and their read marks

* ``notices``: posted by a regional administrator for every member
  (``audience_municipality_id`` NULL) or by a coordinator for their own municipality, with
  an audience, Japanese and English text and a publication window (UTC); one of the region's
  tables behind row-level security (a member's own rows, and the region's read by all);
* ``notice_reads``: one person has read one notice; tenant-owned (the reader's member),
  behind row-level security.

The downgrade refuses while a notice is recorded (it would be lost).

Revision ID: 7c1d5e9a3b26
Revises: 4e8a2c6f1b93
Create Date: 2026-12-07 19:30:00

"""

import sqlalchemy as sa
from alembic import op

import tenants.base
from regional.downgrades import count, refuse_to_lose
from tenants.rls import (
    POLICY,
    disable_tenant_rls,
    enable_tenant_rls,
    region_rls_statements,
)

# revision identifiers, used by Alembic.
revision = "7c1d5e9a3b26"
down_revision = "4e8a2c6f1b93"
branch_labels = None
depends_on = None


def _notices_table() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audience_municipality_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("title_ja", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_ja", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("shown_from", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shown_until", tenants.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("posted_by_id", sa.Integer(), nullable=True),
        sa.Column("posted_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_notices_audience_municipality_id_municipalities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index(
        op.f("ix_notices_audience_municipality_id"), "notices", ["audience_municipality_id"]
    )


def _reads_table() -> None:
    op.create_table(
        "notice_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_notice_reads_municipality_id_municipalities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_reads_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_reads")),
        sa.UniqueConstraint("notice_id", "user_id", name="uq_notice_reads_person"),
    )
    op.create_index(op.f("ix_notice_reads_municipality_id"), "notice_reads", ["municipality_id"])


def upgrade():
    _notices_table()
    _reads_table()
    if op.get_context().dialect.name == "postgresql":
        for statement in region_rls_statements("notices"):
            op.execute(statement)
    enable_tenant_rls("notice_reads")


def downgrade():
    refuse_to_lose(
        {"notices": count("notices")},
        "Withdraw the notices to go below this revision.",
    )
    disable_tenant_rls("notice_reads")
    op.drop_index(op.f("ix_notice_reads_municipality_id"), table_name="notice_reads")
    op.drop_table("notice_reads")
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"DROP POLICY IF EXISTS {POLICY}_read ON notices")
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON notices")
        op.execute("ALTER TABLE notices NO FORCE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE notices DISABLE ROW LEVEL SECURITY")
    op.drop_index(op.f("ix_notices_audience_municipality_id"), table_name="notices")
    op.drop_table("notices")
