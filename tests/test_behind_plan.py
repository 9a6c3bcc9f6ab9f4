"""The regional administrator's home lists members behind plan this fiscal year (issue 9)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from regional.extensions import db
from regional.targets.progress import behind_plan, needs_attention, region_progress
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.fixtures_sessions import within
from tests.fixtures_targets import complete, target

TODAY = date(2026, 11, 29)  # two thirds into 令和8年度
EN = {"Accept-Language": "en"}


def _arrange(world) -> None:  # noqa: ANN001
    """A: security 10 with nobody done (not started); B: security 1, done (achieved)."""
    target(world.muni_a, "security", 10)
    target(world.muni_b, "security", 1)
    person = factories.make_user(world.muni_b)
    complete(world.muni_b, person.id, "GEN-SEC-101", date(2026, 6, 1))


def test_only_members_behind_are_listed_with_only_their_behind_targets(ctx, world):
    _arrange(world)
    found = behind_plan(db.session, 2026, today=TODAY)
    assert [mp.code for mp in found] == [CODE_A]
    (t,) = found[0].targets
    # Nobody counted while the line has started: 未着手, and on the list.
    assert (t.key, t.status, t.achieved) == ("security", "not_started", 0)
    assert t.expected_by_now and t.expected_by_now > 0


def test_behind_plan_agrees_with_the_dashboards_numbers(ctx, world):
    _arrange(world)
    full = {mp.code: mp for mp in region_progress(db.session, 2026, today=TODAY).members}
    for mp in behind_plan(db.session, 2026, today=TODAY):
        assert mp.targets == [t for t in full[mp.code].targets if needs_attention(t)]


def _statements(fn) -> int:  # noqa: ANN001
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_one_call_for_every_member_and_fewer_statements_than_the_dashboard(ctx, world):
    target(world.muni_a, "security", 10)
    one = _statements(lambda: behind_plan(db.session, 2026, today=TODAY))
    target(world.muni_b, "security", 10)
    target(world.muni_b, "advanced", 5)
    two = _statements(lambda: behind_plan(db.session, 2026, today=TODAY))
    assert one == two  # not a query per member
    assert two < _statements(lambda: region_progress(db.session, 2026, today=TODAY))


def _behind_section(client) -> str | None:  # noqa: ANN001
    page = client.get("/", headers=EN).get_data(as_text=True)
    if 'id="work-behind"' not in page:
        return None
    return page.split('id="work-behind"')[1].split("</section>")[0]


def test_administrator_home_links_each_member_behind_to_its_progress(app, as_admin, world):
    with within(app):
        _arrange(world)
    part = _behind_section(as_admin)
    assert part is not None
    assert f'href="/progress/m/{CODE_A}"' in part
    assert f"/progress/m/{CODE_B}" not in part
    assert "Security" in part or "security" in part.lower()


def test_coordinators_and_staff_do_not_get_the_regional_list(
    app, as_coordinator_a, as_employee_a, world
):
    with within(app):
        _arrange(world)
    assert _behind_section(as_coordinator_a) is None
    assert _behind_section(as_employee_a) is None


def test_nobody_behind_says_so(app, as_admin, world):
    part = _behind_section(as_admin)
    assert part is not None and "Every member is on or ahead of plan." in part
