"""survey follow-ups: the 3-month question (業務で活用できたか), optional per programme

* ``survey_followup_settings``: per programme, whether the follow-up is asked (and when it
  was last switched); the region's (no member column, as ``survey_assignments``);
* ``survey_followups``: one participant asked three months after a session, and their
  answer in the same row; tenant-owned (the participant's member), behind row-level
  security; one per person and session.

The downgrade refuses while anyone has been asked or a programme has been switched
(facts that would be lost).

Revision ID: b7e3f1a9c2d4
Revises: b3e7a41c9d52
Create Date: 2026-12-09 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import tenants.base
from regional.downgrades import count, refuse_to_lose
from tenants.rls import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = "b7e3f1a9c2d4"
down_revision = "b3e7a41c9d52"
branch_labels = None
depends_on = None


def _settings_table() -> None:
    op.create_table(
        "survey_followup_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("switched_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_survey_followup_settings_program_id_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_followup_settings")),
        sa.UniqueConstraint("program_id", name=op.f("uq_survey_followup_settings_program_id")),
    )


def _followups_table() -> None:
    op.create_table(
        "survey_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("asked_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("answered_at", tenants.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_survey_followups_municipality_id_municipalities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_survey_followups_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_survey_followups_registration_id_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_survey_followups_session_id_training_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_followups")),
        sa.UniqueConstraint("registration_id", name="uq_survey_followup_registration"),
        sa.UniqueConstraint("session_id", "employee_id", name="uq_survey_followup_once"),
    )
    with op.batch_alter_table("survey_followups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_followups_person", ["municipality_id", "employee_id"], unique=False
        )
        batch_op.create_index(
            "ix_survey_followups_program", ["program_id", "fiscal_year"], unique=False
        )


def upgrade():
    _settings_table()
    _followups_table()
    enable_tenant_rls("survey_followups")


def downgrade():
    refuse_to_lose(
        {
            "survey_followups": count("survey_followups"),
            "survey_followup_settings": count("survey_followup_settings"),
        },
        "Delete the follow-ups and the programmes' follow-up settings to go below this "
        "revision.",
    )
    disable_tenant_rls("survey_followups")
    with op.batch_alter_table("survey_followups", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_followups_program")
        batch_op.drop_index("ix_survey_followups_person")
    op.drop_table("survey_followups")
    op.drop_table("survey_followup_settings")
