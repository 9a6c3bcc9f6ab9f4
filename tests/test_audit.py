"""The audit trail: written in the action's transaction, append-only, seen only by its municipality."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from regional.audit import record_audit
from regional.audit.models import AppendOnly, AuditEntry
from regional.extensions import db
from regional.people.models import User
from tenants import all_tenants
from tenants.scoping import TenantViolation, acting_as
from tests.fixtures_people import in_app

pytest_plugins = ["tests.fixtures_people"]

A, B = "332038", "332046"


def _entry(muni: int, action: str, label: str, at: datetime | None = None, **kw) -> None:
    with acting_as(db.session, muni):
        e = record_audit(action, subject_type="target", subject_id=label, subject_label=label, **kw)
        if at is not None:
            e.at = at
        db.session.flush()


def _seed(app, world) -> None:
    with in_app(app):
        _entry(
            world.muni_a,
            "target.update",
            "A-old",
            datetime(2025, 4, 1, 0, tzinfo=UTC),
            before={"target": 10},
            after={"target": 12},
        )
        _entry(world.muni_a, "registration.approve", "A-mid", datetime(2025, 6, 1, 3, tzinfo=UTC))
        _entry(world.muni_a, "target.update", "A-new", datetime(2026, 1, 5, 3, tzinfo=UTC))
        _entry(world.muni_b, "target.update", "B-secret", datetime(2026, 1, 6, 3, tzinfo=UTC))


# -- writing ---------------------------------------------------------------------------


def test_record_audit_stamps_the_current_municipality_actor_and_plain_json(ctx, world):
    from datetime import date
    from decimal import Decimal

    with acting_as(db.session, world.muni_a):
        actor = db.session.get(User, world.coordinator_a)
        entry = record_audit(
            "target.update",
            subject_type="target",
            subject_id=7,
            subject_label="core_pm",
            before={"target": Decimal("1.5"), "on": date(2025, 4, 1)},
            after={"target": 2},
            detail={"note": "x"},
            actor=actor,
        )
        db.session.flush()
        assert entry.municipality_id == world.muni_a
        assert entry.actor_id == actor.id and actor.email in entry.actor_label
        assert entry.subject_id == "7"
        assert entry.detail == {
            "note": "x",
            "before": {"target": "1.5", "on": "2025-04-01"},
            "after": {"target": 2},
        }


def test_record_audit_never_commits(app, world):
    with app.app_context():
        with acting_as(db.session, world.muni_a):
            record_audit("target.update", subject_type="target", subject_id=1)
            db.session.flush()
        db.session.rollback()
        with all_tenants(db.session):
            assert db.session.scalar(select(AuditEntry)) is None
        db.session.remove()


def test_an_entry_cannot_be_slipped_into_another_municipality(ctx, world):
    with acting_as(db.session, world.muni_a):
        record_audit(
            "target.update", subject_type="target", subject_id=1, municipality_id=world.muni_b
        )
        with pytest.raises(TenantViolation):
            db.session.flush()
    db.session.rollback()


def test_the_orm_refuses_to_change_or_delete_an_entry(ctx, world):
    with acting_as(db.session, world.muni_a):
        entry = record_audit("target.update", subject_type="target", subject_id=1)
        db.session.flush()
        entry.action = "target.create"
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()
    with acting_as(db.session, world.muni_a):
        entry = record_audit("target.update", subject_type="target", subject_id=1)
        db.session.flush()
        db.session.delete(entry)
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"],
)
def test_the_database_refuses_update_and_delete_from_any_client(ctx, world, statement):
    with acting_as(db.session, world.muni_a):
        record_audit("target.update", subject_type="target", subject_id=1)
        db.session.flush()
    nested = db.session.begin_nested()
    # In the entry's own municipality: on PostgreSQL row-level security would otherwise hide
    # the row, and a statement that touches no row never reaches the trigger.
    with acting_as(db.session, world.muni_a), pytest.raises(DatabaseError):
        db.session.execute(text(statement))
    nested.rollback()
    with all_tenants(db.session):
        assert db.session.scalar(select(AuditEntry.action)) == "target.update"


def test_postgresql_also_refuses_truncate(ctx, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    nested = db.session.begin_nested()
    with pytest.raises(DatabaseError):
        db.session.execute(text("TRUNCATE audit_entries"))
    nested.rollback()


# -- the API -------------------------------------------------------------------------------


def test_api_lists_newest_first_with_the_documented_shape(app, api, world):
    _seed(app, world)
    resp = api(world.emails["coordinator_a"]).get(f"/municipalities/{A}/audit")
    assert resp.status_code == 200
    body = resp.get_json()
    labels = [i["subject"]["label"] for i in body["items"]]
    assert labels == ["A-new", "A-mid", "A-old"]
    assert body["total"] == 3
    item = body["items"][-1]
    assert {"at", "actor", "action", "subject", "detail"} <= set(item)
    assert item["at"] == "2025-04-01T09:00:00+09:00"
    assert item["detail"] == {"before": {"target": 10}, "after": {"target": 12}}


def test_a_coordinator_never_sees_another_members_entries(app, api, world):
    _seed(app, world)
    own = api(world.emails["coordinator_a"]).get(f"/municipalities/{A}/audit").get_json()
    assert "B-secret" not in str(own)
    other = api(world.emails["coordinator_a"]).get(f"/municipalities/{B}/audit")
    assert other.status_code == 404 and "B-secret" not in other.get_data(as_text=True)
    admin = api(world.emails["admin"]).get(f"/municipalities/{B}/audit").get_json()
    assert [i["subject"]["label"] for i in admin["items"]] == ["B-secret"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=target.update", ["A-new", "A-old"]),
        ("action=registration.", ["A-mid"]),
        ("from=2025-06-01", ["A-new", "A-mid"]),
        ("to=2025-04-01", ["A-old"]),  # a day in Japan, inclusive
        ("to=2025-03-31", []),  # 09:00 JST on 1 April is not 31 March, though 00:00 UTC
        ("from=2025-06-01T12:00:00%2B09:00&to=2026-01-05", ["A-mid", "A-new"][::-1]),
        ("per_page=1&page=2", ["A-mid"]),
    ],
)
def test_api_filters(app, api, world, query, expected):
    _seed(app, world)
    resp = api(world.emails["coordinator_a"]).get(f"/municipalities/{A}/audit?{query}")
    assert resp.status_code == 200, resp.get_json()
    assert [i["subject"]["label"] for i in resp.get_json()["items"]] == expected


@pytest.mark.parametrize(
    "query",
    [
        "from=yesterday",
        "to=2025-13-01",
        "from=9999-12-31T25:00",
        "action=%27%3B%20DROP",
        "action=" + "a" * 200,
        "page=x",
        "from=%00",
    ],
)
def test_api_refuses_unreadable_filters_with_400(api, world, query):
    resp = api(world.emails["coordinator_a"]).get(f"/municipalities/{A}/audit?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] in {"invalid_filter", "invalid_paging"}


# -- the page -----------------------------------------------------------------------------


def test_coordinator_page_shows_own_trail_only(app, world, as_coordinator_a):
    _seed(app, world)
    html = as_coordinator_a.get("/audit/").get_data(as_text=True)
    assert "A-new" in html and "A-old" in html and "B-secret" not in html
    assert 'name="municipality"' not in html  # no member selector for a coordinator
    assert as_coordinator_a.get(f"/audit/?municipality={B}").status_code == 404


def test_admin_page_has_a_member_selector_and_reads_any_member(app, world, as_admin):
    _seed(app, world)
    resp = as_admin.get(f"/audit/?municipality={B}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'name="municipality"' in html and "B-secret" in html and "A-new" not in html


def test_page_filters_and_bad_dates(app, world, as_coordinator_a):
    _seed(app, world)
    html = as_coordinator_a.get("/audit/?action=registration.approve").get_data(as_text=True)
    assert "A-mid" in html and "A-new" not in html
    assert as_coordinator_a.get("/audit/?start=2025-13-40").status_code == 400
    assert as_coordinator_a.get("/audit/?start=2026-01-01&end=2025-01-01").status_code == 400
    assert as_coordinator_a.get("/audit/?action=nonsense").status_code == 400


def test_employees_cannot_open_the_trail(as_employee_a):
    assert as_employee_a.get("/audit/").status_code == 403


def test_record_audit_across_writes_into_the_named_member_only(ctx, world):
    from regional.audit import record_audit_across

    with acting_as(db.session, world.muni_a):
        record_audit("target.update", subject_type="target", subject_id=1)
        record_audit_across(
            "session.update", subject_type="session", subject_id=9, municipality_id=world.muni_b
        )
        db.session.flush()
    with all_tenants(db.session):
        rows = db.session.execute(select(AuditEntry.action, AuditEntry.municipality_id)).all()
    assert sorted(rows) == [("session.update", world.muni_b), ("target.update", world.muni_a)]
