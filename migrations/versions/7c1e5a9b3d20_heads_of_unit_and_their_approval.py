"""heads of unit (所属長) and their approval: unit_heads, head_settings, awaiting_head

* ``unit_heads``: the head (and deputy) of an org unit; tenant-owned, behind row-level
  security, every person and the unit of the row's own member (composite keys);
* ``head_settings``: one row per member, whether employees' own applications need their
  head's approval first; tenant-owned, behind row-level security;
* ``registrations.head_unit_id``, ``head_approved_at``, ``head_approved_by_id``: the unit
  whose head decides, and the decision (plain nullable columns, added in place);
* the registration status ``awaiting_head``, which holds a seat like ``pending``: the
  status CHECK and ``ck_registrations_reserved_seat_only_when_held`` admit it (on SQLite
  by rewriting the constraints' text in the schema: no rebuild of the table).

The downgrade refuses while a head, a member's setting or an application routed to a head
is recorded (they would be lost); otherwise it removes them.

Revision ID: 7c1e5a9b3d20
Revises: 9b3f6c2d1a47
Create Date: 2026-12-07 18:00:00

"""

import sqlalchemy as sa
from alembic import op

import tenants.base
from regional.downgrades import count, refuse_to_lose
from tenants.rls import disable_tenant_rls, enable_tenant_rls

# revision identifiers, used by Alembic.
revision = "7c1e5a9b3d20"
down_revision = "9b3f6c2d1a47"
branch_labels = None
depends_on = None

OLD = ("pending", "enrolled", "waitlisted", "cancelled", "declined")
NEW = (*OLD, "awaiting_head")
HELD_OLD = ("pending", "enrolled")
HELD_NEW = (*HELD_OLD, "awaiting_head")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _checks(statuses, held) -> dict[str, str]:
    return {
        "ck_registrations_registrationstatus": f"status IN ({_in(statuses)})",
        "ck_registrations_reserved_seat_only_when_held": (
            f"seat_allocation_id IS NULL OR status IN ({_in(held)})"
        ),
    }


def _statuses(before: dict[str, str], after: dict[str, str]) -> None:
    """Change the two CHECK constraints of registrations that name statuses."""
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_checks(before, after)
        return
    for name, condition in after.items():
        op.drop_constraint(op.f(name), "registrations", type_="check")
        op.create_check_constraint(op.f(name), "registrations", condition)


def _sqlite_checks(before: dict[str, str], after: dict[str, str]) -> None:
    """SQLite: the constraints' text rewritten in the schema, as SQLite's documentation
    describes for a change that every stored row already satisfies (ALTER TABLE, "making
    other kinds of table schema changes"). Rebuilding the table instead would drop it under
    the rows that refer to it (completions, certificates), which foreign keys refuse."""
    conn = op.get_bind()
    find = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'registrations'"
    sql = conn.exec_driver_sql(find).scalar_one()
    for name, condition in after.items():
        old = f"CONSTRAINT {name} CHECK ({before[name]})"
        if sql.count(old) != 1:
            raise RuntimeError(f"registrations: constraint {name} is not as expected")
        sql = sql.replace(old, f"CONSTRAINT {name} CHECK ({condition})")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'registrations'",
        (sql,),
    )
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    op.create_table(
        "unit_heads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("head_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "deputy_id IS NULL OR deputy_id <> head_id", name=op.f("ck_unit_heads_deputy_not_head")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id", "deputy_id"],
            ["users.municipality_id", "users.id"],
            name="fk_unit_heads_deputy_same_tenant",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id", "head_id"],
            ["users.municipality_id", "users.id"],
            name="fk_unit_heads_head_same_tenant",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id", "org_unit_id"],
            ["org_units.municipality_id", "org_units.id"],
            name="fk_unit_heads_unit_same_tenant",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_unit_heads_municipality_id_municipalities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_heads")),
        sa.UniqueConstraint("municipality_id", "org_unit_id", name="uq_unit_heads_unit"),
    )
    op.create_index("ix_unit_heads_head", "unit_heads", ["municipality_id", "head_id"])
    op.create_index("ix_unit_heads_deputy", "unit_heads", ["municipality_id", "deputy_id"])
    enable_tenant_rls("unit_heads")
    op.create_table(
        "head_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("head_approval", sa.Boolean(), nullable=False),
        sa.Column("updated_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name=op.f("fk_head_settings_municipality_id_municipalities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_head_settings")),
        sa.UniqueConstraint("municipality_id", name="uq_head_settings_municipality"),
    )
    enable_tenant_rls("head_settings")
    # Plain nullable columns: added in place on both databases.
    op.add_column("registrations", sa.Column("head_unit_id", sa.Integer(), nullable=True))
    op.add_column(
        "registrations",
        sa.Column("head_approved_at", tenants.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("registrations", sa.Column("head_approved_by_id", sa.Integer(), nullable=True))
    _statuses(_checks(OLD, HELD_OLD), _checks(NEW, HELD_NEW))


def downgrade():
    refuse_to_lose(
        {
            "heads of unit": count("unit_heads"),
            "members' settings of the head's approval": count("head_settings"),
            "applications routed to a head": count("registrations", "head_unit_id IS NOT NULL"),
        },
        "Remove the heads and the members' settings, and wait until no application was routed "
        "to a head, to go below this revision.",
    )
    _statuses(_checks(NEW, HELD_NEW), _checks(OLD, HELD_OLD))
    for column in ("head_approved_by_id", "head_approved_at", "head_unit_id"):
        op.execute(f"ALTER TABLE registrations DROP COLUMN {column}")
    disable_tenant_rls("head_settings")
    op.drop_table("head_settings")
    disable_tenant_rls("unit_heads")
    op.drop_index("ix_unit_heads_deputy", table_name="unit_heads")
    op.drop_index("ix_unit_heads_head", table_name="unit_heads")
    op.drop_table("unit_heads")
