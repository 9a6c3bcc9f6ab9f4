"""The upgrade that made certificates records: what it links, backfills, keeps, and how it goes back.

Runs the real migrations on a database of its own (a temporary SQLite file, or on
PostgreSQL the test database's name with ``_certmig``): certificates issued on
download before, in every shape the old code could leave, then the upgrade, the
data step again (idempotent), and the downgrade (refused while a certificate would
not fit the old table; otherwise only what the upgrade issued goes).
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, create_engine, func, select, text
from sqlalchemy.engine import make_url

from regional import create_app
from regional.config import TestingConfig
from regional.extensions import db
from tenants.rls import lift_wall
from tests import factories
from tests.conftest import CODE_A, CODE_ADMIN, CODE_B, PASSWORD, _prepare_database

BEFORE, CERTS, REPEATS = "cd85b238cdf0", "c9406b4d809f", "bc0ae36617ee"
MIGRATION = Path(__file__).resolve().parent.parent / (
    "migrations/versions/c9406b4d809f_certificates_as_records.py"
)


@pytest.fixture
def old_world(owner_database_url, tmp_path):
    parsed = make_url(owner_database_url)
    postgres = parsed.get_backend_name() == "postgresql"
    if postgres:
        url = parsed.set(database=f"{parsed.database}_certmig")
        urls = _prepare_database(url.render_as_string(hide_password=False))
    else:
        urls = _prepare_database(f"sqlite:///{tmp_path / 'certmig.sqlite3'}")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = urls.url
        MIGRATION_DATABASE_URL = urls.migration_url

    app = create_app(Config)
    with app.app_context():
        from flask_migrate import downgrade, upgrade

        # The world is built by today's code on today's schema, then the schema goes back to
        # the revision before certificates became records (each downgrade keeps its rows).
        upgrade()
        world = factories.build_world(PASSWORD, CODE_A, CODE_B, CODE_ADMIN)
        # A programme and its past sessions too: later revisions add columns to their tables.
        program = factories.make_program()
        sessions = [
            factories.make_session(
                program,
                starts_in=timedelta(days=-d),
                opens_in=timedelta(days=-d - 30),
                closes_in=timedelta(days=-d - 1),
            ).id
            for d in (60, 30, 20)
        ]
        made = {"program": program.id, "sessions": sessions}
        db.session.commit()
        db.session.remove()
        downgrade(revision=BEFORE)
    owner = create_engine(urls.owner_url)
    yield app, owner, world, made
    owner.dispose()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if postgres:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


def _tables(conn) -> dict[str, Table]:
    meta = MetaData()
    return {
        name: Table(name, meta, autoload_with=conn)
        for name in (
            "programs",
            "training_sessions",
            "registrations",
            "completions",
            "certificates",
            "users",
        )
    }


def _wall_down(conn) -> None:
    if conn.dialect.name == "postgresql":
        lift_wall(conn)


def _seed_old_shapes(owner, world, made) -> dict[str, int]:
    """Certificates as the old code left them, and completions without any."""
    now = datetime.now(UTC)
    program_id, sessions = made["program"], made["sessions"]
    ids: dict[str, int] = {}
    with owner.begin() as conn:
        _wall_down(conn)
        t = _tables(conn)
        program = conn.execute(
            select(t["programs"]).where(t["programs"].c.id == program_id)
        ).first()

        def registration(session_id: int, employee: int, muni: int) -> int:
            return conn.execute(
                t["registrations"]
                .insert()
                .values(
                    session_id=session_id,
                    employee_id=employee,
                    municipality_id=muni,
                    status="enrolled",
                    requested_at=now,
                    attended=True,
                    attendance_recorded_at=now,
                )
                .returning(t["registrations"].c.id)
            ).scalar_one()

        def completion(employee, muni, day, session_id=None, reg_id=None) -> int:
            return conn.execute(
                t["completions"]
                .insert()
                .values(
                    municipality_id=muni,
                    employee_id=employee,
                    program_id=program.id,
                    program_revision=program.revision,
                    program_code=program.code,
                    title_ja=program.title_ja,
                    title_en=program.title_en,
                    tier=program.tier,
                    track=program.track,
                    skill_area_key=None,
                    hours=Decimal("2.0"),
                    session_id=session_id,
                    registration_id=reg_id,
                    completed_on=day,
                    fiscal_year=2025,
                    source="attendance" if reg_id else "elearning_import",
                    recorded_at=now,
                )
                .returning(t["completions"].c.id)
            ).scalar_one()

        def certificate(reg_id, employee, muni, code) -> int:
            return conn.execute(
                t["certificates"]
                .insert()
                .values(
                    municipality_id=muni,
                    code=code,
                    registration_id=reg_id,
                    employee_id=employee,
                    name="職員",
                    program_code=program.code,
                    program_title_ja=program.title_ja,
                    program_title_en=program.title_en,
                    hours=Decimal("2.0"),
                    completed_on=date(2025, 6, 1),
                    issuer_ja="岡山連携中枢都市圏",
                    issuer_en="Okayama",
                    issued_at=now,
                )
                .returning(t["certificates"].c.id)
            ).scalar_one()

        a, a2, b = world.employee_a, world.employee_a2, world.employee_b
        # employee_a: two attended sessions of one revision, both downloaded (a duplicate).
        s1, s2, s3 = sessions
        r1, r2 = registration(s1, a, world.muni_a), registration(s2, a, world.muni_a)
        ids["c1"] = completion(a, world.muni_a, date(2025, 6, 1), s1, r1)
        ids["c2"] = completion(a, world.muni_a, date(2025, 7, 1), s2, r2)
        ids["x1"] = certificate(r1, a, world.muni_a, "AAAAAAAAAAAAAAA2")
        ids["x2"] = certificate(r2, a, world.muni_a, "AAAAAAAAAAAAAAA3")
        # employee_b: downloaded, then the attendance was withdrawn (the completion is gone).
        r3 = registration(s3, b, world.muni_b)
        ids["x3"] = certificate(r3, b, world.muni_b, "AAAAAAAAAAAAAAA4")
        # employee_b also has an e-learning completion: never a certificate before.
        ids["c4"] = completion(b, world.muni_b, date(2025, 8, 1))
        # employee_a2: two e-learning completions of the revision, none downloaded.
        ids["c5"] = completion(a2, world.muni_a, date(2025, 5, 1))
        ids["c6"] = completion(a2, world.muni_a, date(2025, 9, 1))
        ids.update(r1=r1, r2=r2, r3=r3)
    return ids


def _certificates(owner) -> dict[int, dict]:
    with owner.begin() as conn:
        _wall_down(conn)
        cert = _tables(conn)["certificates"]
        return {row.id: row._asdict() for row in conn.execute(select(cert))}


def _migrate(app, revision: str, *, down: bool = False) -> None:
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        (downgrade if down else upgrade)(revision=revision)
        db.session.remove()


@pytest.mark.real_commits
def test_the_upgrade_links_keeps_and_backfills_and_the_downgrade_goes_back(old_world, capfd):
    app, owner, world, made = old_world
    ids = _seed_old_shapes(owner, world, made)
    _migrate(app, REPEATS)
    certs = _certificates(owner)
    x1, x2, x3 = certs[ids["x1"]], certs[ids["x2"]], certs[ids["x3"]]
    # Downloaded ones: linked to their completion; the first of a revision holds it.
    assert (x1["completion_id"], x1["holds_revision"], x1["origin"]) == (
        ids["c1"],
        True,
        "download",
    )
    assert x1["revoked_at"] is None
    assert (x2["completion_id"], x2["holds_revision"], x2["revoked_at"]) == (ids["c2"], False, None)
    # Withdrawn before the upgrade: kept, revoked with its cause, the revision free.
    assert x3["completion_id"] is None and x3["revoked_at"] is not None
    assert (x3["revoke_cause"], x3["holds_revision"]) == ("attendance_withdrawn", False)
    # Backfilled: the e-learning completion of employee_b, the first of employee_a2's two.
    made = {c["completion_id"]: c for c in certs.values() if c["origin"] == "backfill"}
    assert set(made) == {ids["c4"], ids["c5"]}
    assert made[ids["c4"]]["registration_id"] is None
    assert made[ids["c4"]]["issuer_ja"] == "岡山連携中枢都市圏"
    assert made[ids["c5"]]["name"] == "𠮷野 花子"
    assert all(len(c["code"]) == 16 and c["holds_revision"] for c in made.values())

    # Idempotent: the data steps again issue and change nothing.
    spec = importlib.util.spec_from_file_location("certmig", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with app.app_context(), owner.begin() as conn:
        _wall_down(conn)
        module._link_existing(conn)
        module._backfill(conn)
    assert _certificates(owner) == certs

    # A certificate the old table cannot hold (an e-learning completion's, issued since):
    # the downgrade refuses and changes nothing.
    with owner.begin() as conn:
        _wall_down(conn)
        t = _tables(conn)["certificates"]
        since = dict(made[ids["c5"]], code="AAAAAAAAAAAAAAA5", completion_id=ids["c6"])
        since.pop("id")
        since.update(origin="completion", holds_revision=False)
        late = conn.execute(t.insert().values(**since).returning(t.c.id)).scalar_one()
    _migrate(app, CERTS, down=True)
    with pytest.raises(SystemExit):  # Flask-Migrate logs the refusal and exits
        _migrate(app, BEFORE, down=True)
    assert "Refusing to downgrade: 1 certificate(s) of e-learning" in capfd.readouterr().err
    assert set(_certificates(owner)) == set(certs) | {late}
    with owner.begin() as conn:
        _wall_down(conn)
        t = _tables(conn)["certificates"]
        conn.execute(t.delete().where(t.c.id == late))

    # Back: every certificate from before the upgrade is there; only its own went.
    _migrate(app, BEFORE, down=True)
    after = _certificates(owner)
    assert set(after) == {ids["x1"], ids["x2"], ids["x3"]}
    assert after[ids["x1"]]["code"] == "AAAAAAAAAAAAAAA2"
    assert "completion_id" not in after[ids["x1"]]
    with owner.begin() as conn:
        _wall_down(conn)
        t = _tables(conn)["certificates"]
        assert conn.execute(select(func.count()).select_from(t)).scalar_one() == 3
