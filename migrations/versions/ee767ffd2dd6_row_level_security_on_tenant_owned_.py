"""row-level security on tenant-owned tables (PostgreSQL; nothing on SQLite)

Every table of a TenantScoped model answers only the municipality named by the
transaction's ``app.tenant_id`` setting, unless ``app.all_tenants`` is 'on'
(see tenants/rls.py). New tenant-owned tables call enable_tenant_rls in their
own migration.

Revision ID: ee767ffd2dd6
Revises: c866d5db632e
Create Date: 2026-11-29 17:16:05.986726

"""
from tenants.rls import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = 'ee767ffd2dd6'
down_revision = 'c866d5db632e'
branch_labels = None
depends_on = None

TABLES = (
    "org_units",
    "users",
    "registrations",
    "completions",
    "audit_entries",
    "roster_uploads",
    "qualifications",
    "ojt_records",
    "certificates",
    "targets",
)


def upgrade():
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade():
    for table in TABLES:
        disable_tenant_rls(table)
