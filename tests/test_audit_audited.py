"""``audited(...)``: an edit's entry holds the before and after of what changed, or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regional.audit import audited
from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.people.models import User
from tenants.scoping import acting_as

pytest_plugins = ["tests.fixtures_people"]


def _entries(action: str) -> list[AuditEntry]:
    db.session.flush()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _edit(user: User, **kw):
    return audited(
        "account.update",
        target=user,
        subject_type="user",
        subject_label=lambda u: f"{u.name} <{u.email}>",
        actor=user,
        **kw,
    )


def test_an_edit_records_only_the_fields_that_changed_with_the_label_read_after(ctx, world):
    with acting_as(db.session, world.muni_a):
        user = db.session.get(User, world.employee_a)
        old = user.name
        with _edit(user, fields=("name", "email")):
            user.name = "新しい 名前"
        [entry] = _entries("account.update")
        assert entry.detail == {"before": {"name": old}, "after": {"name": "新しい 名前"}}
        assert entry.subject_id == str(user.id)
        assert entry.subject_label == f"新しい 名前 <{user.email}>"
        assert entry.municipality_id == world.muni_a


def test_an_edit_that_changes_nothing_records_nothing_unless_always(ctx, world):
    with acting_as(db.session, world.muni_a):
        user = db.session.get(User, world.employee_a)
        with _edit(user, fields=("name",)):
            user.name = user.name
        assert _entries("account.update") == []
        with _edit(user, fields=("name",), changed_only=False, always=True) as trail:
            trail.detail["why"] = "checked"
        [entry] = _entries("account.update")
        assert entry.detail == {
            "why": "checked",
            "before": {"name": user.name},
            "after": {"name": user.name},
        }


def test_a_block_that_raises_records_nothing(ctx, world):
    with acting_as(db.session, world.muni_a):
        user = db.session.get(User, world.employee_a)
        with pytest.raises(RuntimeError), _edit(user, fields=("name",)):
            user.name = "途中 で失敗"
            raise RuntimeError("refused")
        assert _entries("account.update") == []


def test_a_whole_snapshot_keeps_every_field_and_a_creation_has_no_before(ctx, world):
    with acting_as(db.session, world.muni_a):
        user = db.session.get(User, world.employee_a)
        snap = lambda u: {"name": u.name, "email": u.email}  # noqa: E731
        with _edit(user, snapshot=snap, changed_only=False):
            user.name = "全体 記録"
        [entry] = _entries("account.update")
        assert entry.detail["before"]["email"] == entry.detail["after"]["email"] == user.email
        assert entry.detail["after"]["name"] == "全体 記録"
        with audited(
            "account.create", target=user, snapshot=snap, creating=True, subject_type="user"
        ):
            pass
        [created] = _entries("account.create")
        assert "before" not in created.detail
        assert created.detail["after"] == snap(user)
