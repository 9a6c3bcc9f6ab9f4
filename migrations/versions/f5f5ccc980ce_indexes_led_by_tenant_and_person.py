"""indexes led by the tenant and the person; redundant single-column indexes dropped

The hot queries (registering, the overlap check, cancelling and promotion, a
person's page, a session's waiting line, approvals) search by (municipality,
person, status) or (session, status, ticket). Single-column indexes on
``municipality_id``, ``employee_id``, ``status`` and ``session_id`` left the
planner to guess, and SQLite guessed the tenant-wide one: a registration's cost
grew with the member's whole history. Single-column indexes that are now a
prefix of a composite index (or of a composite unique key) are dropped.
tests/test_query_plans.py checks the plans on both databases.

Revision ID: f5f5ccc980ce
Revises: 1830c6f012ce
Create Date: 2026-11-29 20:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f5f5ccc980ce"
down_revision = "1830c6f012ce"
branch_labels = None
depends_on = None

#: (table, index, columns) added.
NEW = (
    ("registrations", "ix_registrations_person", ["municipality_id", "employee_id", "status"]),
    ("registrations", "ix_registrations_waiting_line", ["session_id", "status", "waitlist_ticket"]),
    (
        "registrations",
        "ix_registrations_tenant_status",
        ["municipality_id", "status", "session_id"],
    ),
    (
        "audit_entries",
        "ix_audit_entries_tenant_action_at",
        ["municipality_id", "action", "at"],
    ),
)

#: (table, index, columns) dropped, and what covers each one now.
DROPPED = (
    # prefix of ix_registrations_person / ix_registrations_tenant_status
    ("registrations", "ix_registrations_municipality_id", ["municipality_id"]),
    # employee ids are searched with their municipality: ix_registrations_person
    ("registrations", "ix_registrations_employee_id", ["employee_id"]),
    # prefix of ix_registrations_waiting_line and of uq_registrations_once_per_session
    ("registrations", "ix_registrations_session_id", ["session_id"]),
    # tenant first: ix_registrations_tenant_status; region-wide counts go through the sessions
    ("registrations", "ix_registrations_status", ["status"]),
    # prefix of uq_completions_once_a_day (municipality, employee, programme, day)
    ("completions", "ix_completions_municipality_id", ["municipality_id"]),
    # prefix of ix_completions_program_people
    ("completions", "ix_completions_program_id", ["program_id"]),
    # prefix of uq_users_tenant_id and uq_users_employee_number
    ("users", "ix_users_municipality_id", ["municipality_id"]),
    # prefix of uq_org_units_tenant_id and uq_org_units_sibling_name
    ("org_units", "ix_org_units_municipality_id", ["municipality_id"]),
)


def upgrade():
    for table, name, columns in NEW:
        op.create_index(name, table, columns, unique=False)
    for table, name, _columns in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade():
    for table, name, columns in DROPPED:
        op.create_index(name, table, columns, unique=False)
    for table, name, _columns in NEW:
        op.drop_index(name, table_name=table)
