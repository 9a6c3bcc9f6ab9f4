"""Does every migration's downgrade keep its rows, or refuse and change nothing?

A database of its own (a temporary SQLite file, or on PostgreSQL the test database's
name with ``_roundtrip``) is built at head and populated with rows in every table
(tests/fixtures_populated.py). Then, one revision at a time from the head down, each
migration is downgraded and upgraded again, and the row count of every table must be
what it was before. A downgrade that would lose facts must instead refuse with a
message starting "Refusing to downgrade", leaving the database at its revision with
every row; the walk then does what the message tells an operator (``REMEDIES``: delete
the facts that hold it, on purpose) and goes on. A revision refusing that is not
listed, or a listed one that does not refuse, fails the test.

Derived tables (progress tallies) are dropped by the migrations that created them and
computed again by today's code when the database reaches the head: they may come back
empty from those two steps only, and are checked after the final upgrade.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from regional.downgrades import REFUSAL
from regional.extensions import db
from tenants.rls import lift_wall
from tests import factories
from tests.conftest import CODE_A, CODE_ADMIN, CODE_B, PASSWORD
from tests.fixtures_databases import own_database
from tests.fixtures_populated import populate

#: Steps whose upgrade leaves these derived tables empty until the head computes them.
RECOMPUTED = {
    "2922a1c65c7f": {"annual_progress"},
    "83f6d3b203ac": {"progress_counts", "persona_progress"},
}


def _delete(*statements: str) -> Callable[[Connection], None]:
    def remedy(conn: Connection) -> None:
        for sql in statements:
            conn.exec_driver_sql(sql)

    return remedy


#: Revision whose downgrade refuses with the populated world -> what its message asks for.
#: None: nothing is to be done (the message says to stay): the walk ends there.
REMEDIES: dict[str, Callable[[Connection], None] | None] = {
    "b7e3f1a9c2d4": _delete("DELETE FROM survey_followups", "DELETE FROM survey_followup_settings"),
    "b3e7a41c9d52": _delete("UPDATE users SET job_title = NULL"),
    "7c1d5e9a3b26": _delete("DELETE FROM notice_reads", "DELETE FROM notices"),
    "4e8a2c6f1b93": _delete("DELETE FROM participant_reports"),
    "24827c62af8b": _delete(
        "DELETE FROM survey_answers",
        "DELETE FROM survey_responses",
        "DELETE FROM survey_invitations",
        "DELETE FROM survey_assignments",
    ),
    "7c1e5a9b3d20": _delete(
        "DELETE FROM unit_heads",
        "DELETE FROM head_settings",
        "UPDATE registrations SET status = 'cancelled', waitlist_ticket = NULL, "
        "seat_allocation_id = NULL, head_unit_id = NULL, head_approved_at = NULL, "
        "head_approved_by_id = NULL WHERE head_unit_id IS NOT NULL",
    ),
    "9b3f6c2d1a47": _delete("DELETE FROM search_synonyms WHERE added_by_id IS NOT NULL"),
    "aad75f7cc959": _delete("DELETE FROM job_category_words"),
    "5d2b8e41c9a7": _delete("DELETE FROM mail_signatures", "UPDATE users SET mail_digest = true"),
    "8811e78228d8": _delete("DELETE FROM year_closes", "DELETE FROM org_unit_events"),
    # A programme added since set-up started a later version of a measure's rules.
    "2922a1c65c7f": _delete("DELETE FROM measure_versions WHERE effective_from > '2000-04-01'"),
    "f8030d296394": _delete("DELETE FROM outbound_mail WHERE body IS NULL"),
    "1830c6f012ce": _delete("DELETE FROM program_interests"),
    "c866d5db632e": _delete("DELETE FROM materials"),
    "984722a4f17e": _delete("DELETE FROM targets", "DELETE FROM measures"),
    "20848f0bdfdc": _delete("DELETE FROM certificates"),
    "8ada0974f583": _delete(
        "DELETE FROM qualifications",
        "DELETE FROM ojt_records",
        "DELETE FROM qualification_personas",
    ),
    "12c032112918": _delete("DELETE FROM roster_uploads", "UPDATE users SET invited_at = NULL"),
    # The audit trail is append-only (triggers refuse DELETE on both databases): nothing
    # goes below it once it holds an entry. The first two revisions: see the next test.
    "c2f232a53d71": None,
}


@pytest.fixture
def populated(owner_database_url, tmp_path):
    with own_database(owner_database_url, tmp_path, "roundtrip") as (app, owner):
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            world = factories.build_world(PASSWORD, CODE_A, CODE_B, CODE_ADMIN)
            populate(world)
            db.session.commit()
            db.session.remove()
        yield app, owner


#: SQLite's FTS5 storage of the catalogue's search index (9b3f6c2d1a47): rebuilt by the
#: migration, so its row counts follow the index's segments, not the records.
FTS_SHADOW = (
    "programs_fts_data",
    "programs_fts_idx",
    "programs_fts_docsize",
    "programs_fts_config",
)


def _fts_is_whole(owner) -> None:
    """SQLite: the search index is consistent and holds every programme."""
    with owner.begin() as conn:
        if conn.dialect.name == "sqlite" and "programs_fts" in inspect(conn).get_table_names():
            conn.exec_driver_sql(
                "INSERT INTO programs_fts(programs_fts) VALUES ('integrity-check')"
            )
            # One document per programme (the check above looks inside the index only).
            indexed = conn.exec_driver_sql("SELECT count(*) FROM programs_fts_docsize").scalar()
            assert indexed == conn.exec_driver_sql("SELECT count(*) FROM programs").scalar()


def _counts(owner) -> dict[str, int]:
    """Rows per table (the owner: a superuser in the tests, so row-level security aside;
    the search index's FTS5 storage aside: :data:`FTS_SHADOW`)."""
    with owner.begin() as conn:
        if conn.dialect.name == "postgresql":
            lift_wall(conn)
        names = [
            n
            for n in inspect(conn).get_table_names()
            if n not in ("alembic_version", "sqlite_stat1", "sqlite_stat4", *FTS_SHADOW)
        ]
        return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


FAILED_TO = "gone@city.tsuyama.lg.jp"  # tests/fixtures_populated.py's failed message


def _failed_mail_is_given_up_for_the_older_code(owner) -> None:
    """Below f970b61ce65b: a failed message carries the older code's "given up" mark."""
    with owner.connect() as conn:
        attempts = conn.execute(
            text("SELECT attempts FROM outbound_mail WHERE to_addr = :to"), {"to": FAILED_TO}
        ).scalar_one()
    assert attempts >= 10


def _failed_mail_is_failed_again(owner) -> None:
    with owner.connect() as conn:
        row = conn.execute(
            text("SELECT failed_at, last_error FROM outbound_mail WHERE to_addr = :to"),
            {"to": FAILED_TO},
        ).one()
    assert row.failed_at is not None and row.last_error == "550 5.1.1 User unknown"


def _revision(owner) -> str | None:
    with owner.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _migrate(app, revision: str, *, down: bool = False) -> None:
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        (downgrade if down else upgrade)(revision=revision)
        db.session.remove()


def _chain(app) -> list[tuple[str, str]]:
    """(revision, down_revision) from the head to the first."""
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        return [
            (rev.revision, rev.down_revision or "base")
            for rev in script.walk_revisions(base="base", head="heads")
        ]


@pytest.mark.real_commits
def test_each_migration_down_and_up_keeps_every_row_or_refuses(populated, capfd):
    app, owner = populated
    at_head = _counts(owner)
    empty = sorted(n for n, c in at_head.items() if c == 0)
    assert empty == [], f"populate() leaves these tables empty: {empty}"

    refused, messages = [], {}
    for revision, below in _chain(app):
        assert _revision(owner) == revision
        before = _counts(owner)
        capfd.readouterr()
        try:
            _migrate(app, below, down=True)
        except SystemExit:  # Flask-Migrate logs the refusal and exits
            message = capfd.readouterr().err
            assert REFUSAL in message, message[-2000:]
            assert _revision(owner) == revision, "a refused downgrade moved the revision"
            assert _counts(owner) == before, "a refused downgrade changed rows"
            refused.append(revision)
            messages[revision] = message
            assert revision in REMEDIES, f"{revision} refused without a remedy: {message[-800:]}"
            remedy = REMEDIES[revision]
            if remedy is None:
                break
            with owner.begin() as conn:
                remedy(conn)
            before = _counts(owner)
            _migrate(app, below, down=True)
        assert _revision(owner) == (None if below == "base" else below)
        if revision == "f970b61ce65b":
            _failed_mail_is_given_up_for_the_older_code(owner)
        _migrate(app, revision)
        if revision == "f970b61ce65b":
            _failed_mail_is_failed_again(owner)
        after = _counts(owner)
        allowed = RECOMPUTED.get(revision, set())
        assert {n: c for n, c in after.items() if n not in allowed} == {
            n: c for n, c in before.items() if n not in allowed
        }, f"{revision}: a downgrade and upgrade lost or added rows"
        assert all(after[n] in (0, before[n]) for n in allowed)
        _fts_is_whole(owner)
        _migrate(app, below, down=True)

    assert refused == list(REMEDIES), "the refusals are not the ones documented"
    # With MAIL_DELIVERY=deferred the last cron interval's notices wait unwritten: kept.
    assert "queued messages not yet written" in messages["f8030d296394"]
    assert "flask send-mail" in messages["f8030d296394"]
    # Back to the head in one go: today's code computes the derived tables again, as a
    # rebuild from the records left gives them.
    _migrate(app, "head")
    _fts_is_whole(owner)
    final = _counts(owner)
    assert set(final) == set(at_head)
    from regional.targets.tallies import rebuild

    with app.app_context(), owner.begin() as conn:
        if conn.dialect.name == "postgresql":
            lift_wall(conn)
        rebuild(conn)
    assert _counts(owner) == final


@pytest.mark.real_commits
def test_the_first_revisions_keep_rows_or_refuse(owner_database_url, tmp_path, capfd):
    """Below the audit trail: a member and a unit at the second revision, down and back up;
    the first revision's downgrade (to an empty database) refuses while any row is there."""
    with own_database(owner_database_url, tmp_path, "firstrevs") as (app, owner):
        first, second = _chain(app)[-1][0], _chain(app)[-2][0]
        _migrate(app, second)
        with owner.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO municipalities (code, name_ja, name_en, kind, coordinating, "
                    "email_domains, created_at) VALUES ('331007', '岡山市', 'Okayama City', "
                    "'city', true, '[]', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO org_units (name, level, equivalent, active, municipality_id) "
                    "SELECT '総務局', 'department', false, true, id FROM municipalities"
                )
            )
        before = _counts(owner)
        _migrate(app, first, down=True)
        _migrate(app, second)
        assert _counts(owner) == before
        _migrate(app, first, down=True)
        capfd.readouterr()
        with pytest.raises(SystemExit):
            _migrate(app, "base", down=True)
        message = capfd.readouterr().err
        assert f"{REFUSAL}: the older schema cannot hold 1 rows in municipalities" in message
        assert "drop the database instead" in message
        assert _revision(owner) == first and _counts(owner) == before
