"""What a migration's downgrade may drop, and the one way it refuses to drop more.

A downgrade keeps every row, converts it to the older shape, or refuses, changing
nothing. It may drop what is computed again from the records (indexes, progress
tallies, search text, marks derived from completions) and transient state (sign-in
throttle windows), never a fact someone recorded: before it drops a table or a column
that may hold one, it calls :func:`refuse_to_lose` with a count of each such fact.
``tests/test_migration_roundtrip.py`` steps a populated database down and back up
through every revision and checks that each step keeps every row or refuses so.

Used by the migrations themselves: keep it small and independent of today's models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

#: The start of every refusal (tests and operators look for it).
REFUSAL = "Refusing to downgrade"


def lift_the_wall(conn: sa.Connection) -> None:
    """Every member's rows for this migration's transaction (PostgreSQL's row-level
    security applies to the tables' owner too: the tables force it)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT set_config('app.all_tenants', 'on', true)")


def refuse_to_lose(facts: dict[str, str], remedy: str = "") -> None:
    """Refuse the downgrade if any of ``facts`` is on record (``{what: "SELECT count(*) …"}``).

    Raises ``RuntimeError`` naming each kind with its count before anything is changed;
    Flask-Migrate prints it and exits non-zero, and the transaction leaves the database
    at its revision.
    """
    conn = op.get_bind()
    lift_the_wall(conn)
    found = {what: conn.execute(sa.text(sql)).scalar() for what, sql in facts.items()}
    found = {what: n for what, n in found.items() if n}
    if found:
        held = ", ".join(f"{n} {what}" for what, n in found.items())
        raise RuntimeError(
            f"{REFUSAL}: the older schema cannot hold {held}. "
            + (f"{remedy} " if remedy else "")
            + "Nothing was changed."
        )


def count(table: str, where: str = "") -> str:
    """``SELECT count(*) FROM table [WHERE …]`` for :func:`refuse_to_lose`."""
    # Table and condition are literals of the migrations themselves, never input.
    return f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")  # noqa: S608
