"""mail: the sender's signature per member, and the coordinator's digest setting

* ``mail_signatures``: one row per member (its section and contact, under every mail it
  sends); tenant-owned, behind row-level security;
* ``users.mail_digest``: a coordinator's choice to get the daily digest and the mail
  when a registration awaits their approval (on for everyone).

The downgrade refuses while a signature is recorded or someone has turned the mail off
(their choice would be lost); otherwise it drops both.

Revision ID: 5d2b8e41c9a7
Revises: 3c5a9d1e7f20
Create Date: 2026-12-15 10:00:00

"""

import sqlalchemy as sa
from alembic import op

import tenants.base
from regional.downgrades import count, refuse_to_lose
from tenants.rls import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = "5d2b8e41c9a7"
down_revision = "3c5a9d1e7f20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("updated_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_mail_signatures_municipality_id_municipalities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_signatures")),
        sa.UniqueConstraint("municipality_id", name="uq_mail_signatures_municipality"),
    )
    enable_tenant_rls("mail_signatures")
    # Plain ADD COLUMN on both (no batch copy of the users table).
    op.add_column(
        "users",
        sa.Column("mail_digest", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade():
    refuse_to_lose(
        {
            "mail signatures": count("mail_signatures"),
            "people who turned the coordinator mail off": count("users", "mail_digest = false"),
        },
        "Delete the signatures and turn the mail back on for everyone to go below this revision.",
    )
    op.drop_column("users", "mail_digest")
    disable_tenant_rls("mail_signatures")
    op.drop_table("mail_signatures")
