"""the participant's report (受講報告): programmes' flag and template, participant_reports

* ``programs.report_required`` and ``programs.report_template``: whether participants
  write a report after attending, and the text it starts from (plain columns with server
  defaults, added in place);
* ``participant_reports``: one report per registration (a unique constraint), with its
  acknowledgement (確認); tenant-owned, behind row-level security.

The downgrade refuses while a report is recorded (it would be lost).

Revision ID: 4e8a2c6f1b93
Revises: 24827c62af8b
Create Date: 2026-12-07 19:00:00

"""

import sqlalchemy as sa
from alembic import op

import tenants.base
from regional.downgrades import count, refuse_to_lose
from tenants.rls import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = "4e8a2c6f1b93"
down_revision = "24827c62af8b"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "programs",
        sa.Column("report_required", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "programs", sa.Column("report_template", sa.Text(), server_default="", nullable=False)
    )
    op.create_table(
        "participant_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", tenants.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_participant_reports_municipality_id_municipalities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_participant_reports_registration_id_registrations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_reports")),
        sa.UniqueConstraint("registration_id", name="uq_participant_reports_registration"),
    )
    op.create_index(
        op.f("ix_participant_reports_municipality_id"),
        "participant_reports",
        ["municipality_id"],
    )
    op.create_index("ix_participant_reports_session", "participant_reports", ["session_id"])
    op.create_index(
        "ix_participant_reports_person", "participant_reports", ["municipality_id", "employee_id"]
    )
    enable_tenant_rls("participant_reports")


def downgrade():
    refuse_to_lose(
        {"participants' reports": count("participant_reports")},
        "Remove the participants' reports to go below this revision.",
    )
    disable_tenant_rls("participant_reports")
    op.drop_index("ix_participant_reports_person", table_name="participant_reports")
    op.drop_index("ix_participant_reports_session", table_name="participant_reports")
    op.drop_index(
        op.f("ix_participant_reports_municipality_id"), table_name="participant_reports"
    )
    op.drop_table("participant_reports")
    # Dropped in place (no rebuild of a table that other rows refer to).
    for column in ("report_template", "report_required"):
        op.execute(f"ALTER TABLE programs DROP COLUMN {column}")
