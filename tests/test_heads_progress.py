"""A head's units against the member's targets (issue 22, /heads/units): how many of the
people of the head's units (and the units below) count toward each target, beside the
member's figure and target; counted by hand here, never with another member's people or
another unit's."""

from __future__ import annotations

import re
from datetime import timedelta

from regional import attendance
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.heads.progress import units_progress
from regional.people.models import AccountStatus, User
from tenants.models import OrgLevel
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_registrations import english, person, register
from tests.fixtures_targets import target
from tests.test_heads import _unit_tree
from tests.test_registrations_pages import text


def _security_completion(world, *employee_ids: int) -> None:
    """Each of them attended an information-security session an hour ago (this fiscal year)."""
    ts = factories.make_session(
        factories.make_program(area="information_security"),
        starts_in=timedelta(hours=-1),
        opens_in=timedelta(days=-9),
        closes_in=timedelta(days=-1),
        capacity=20,
    )
    regs = [register(ts.id, e, world.admin) for e in employee_ids]
    attendance.record_attendance(ts.id, [(r.id, True) for r in regs], person(world.admin))


def _world(world):
    """Member A: the 課 (head, deputy) and its 係 (staff), a 係 colleague more, another 課;
    member B: someone of the same kind. Who completed information security this year:

    ====================  =========  ===========
    person                unit       completed
    ====================  =========  ===========
    head 課長 太郎         the 課      yes
    deputy 課長代理 花子   the 課      no
    staff 係員 一郎        the 係      yes
    colleague 係員 二郎    the 係      yes (then disabled: not among the unit's people now)
    other 他課 三郎        市民課      yes (the member counts them, the head does not)
    employee_b            member B   yes (never in member A's figures)
    ====================  =========  ===========
    """
    u = _unit_tree(world)
    colleague = factories.make_user(world.muni_a, org_unit_id=u.section, name="係員 二郎")
    target(world.muni_a, "security", 10)
    target(world.muni_b, "security", 10)
    _security_completion(world, u.head, u.staff, colleague.id, u.other_staff)
    _security_completion(world, world.employee_b)
    with acting_as(db.session, world.muni_a):
        db.session.get(User, colleague.id).status = AccountStatus.DISABLED
        db.session.flush()
    return u


def test_the_heads_figures_match_a_count_by_hand(ctx, world):
    u = _world(world)
    fy = fiscal_year_of(now_utc())
    with acting_as(db.session, world.muni_a):
        progress = units_progress(world.muni_a, {u.division, u.section}, fy)
    keys = [t.key for t in progress.targets]
    security = keys.index("security")
    tp = progress.targets[security]
    # The member: head, staff, colleague (disabled since), other: 4 of a target of 10.
    assert (tp.achieved, tp.target) == (4, 10)
    # The head's units: the head and the staff; the deputy did not, the colleague left.
    assert progress.achieved[security] == 2
    assert progress.people == 3  # head, deputy, staff (active)
    rows = {row.path: (row.people, row.achieved[security]) for row in progress.units}
    assert rows == {"総務局/デジタル推進課": (2, 1), "総務局/デジタル推進課/企画係": (1, 1)}


def test_the_page_shows_the_progress_and_only_the_heads_units(app, world, signed_in):
    with app.app_context():
        u = _world(world)
        db.session.commit()
        head_email = person(u.head).email
        boss_email = person(u.dept_head).email
    page = english(signed_in(head_email)).get("/heads/units").get_data(as_text=True)
    cell = re.search(r'data-testid="head-counted-security">(\d+)<', page)
    assert cell is not None and cell.group(1) == "2"
    units = text_of(page, "head-progress-units")
    assert "総務局/デジタル推進課/企画係" in units and "市民課" not in units
    assert "他課 三郎" not in page
    # The 局長 heads the 局: the 課 and the 係 are below it; 市民課 is not.
    page = english(signed_in(boss_email)).get("/heads/units").get_data(as_text=True)
    assert re.search(r'data-testid="head-counted-security">2<', page)
    assert "市民課" not in text_of(page, "head-progress-units")


def test_someone_who_heads_nothing_sees_no_progress(app, world, signed_in):
    with app.app_context():
        u = _world(world)
        db.session.commit()
        email = person(u.other_staff).email
    assert signed_in(email).get("/heads/units").status_code == 403


def test_another_members_head_never_counts_member_as_people(app, world, signed_in):
    """A head of member B over a unit of theirs: member A's completions never show."""
    from regional.heads import services

    with app.app_context():
        _world(world)
        unit = factories.make_org_unit(world.muni_b, "市民課", OrgLevel.DIVISION)
        with acting_as(db.session, world.muni_b):
            b = db.session.get(User, world.employee_b)
            b.org_unit_id = unit.id
            head = factories.make_user(world.muni_b, org_unit_id=unit.id, name="玉野 課長")
            services.set_head(unit, head.id, None, person(world.coordinator_b))
        db.session.commit()
        email = head.email
    page = english(signed_in(email)).get("/heads/units").get_data(as_text=True)
    assert re.search(r'data-testid="head-counted-security">1<', page)  # employee_b alone
    assert "係員 一郎" not in page and "総務局" not in page


def text_of(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}".*?</table>', page, re.S)
    assert found is not None, testid
    return found.group(0)


def test_the_japanese_page_names_the_columns(app, world, signed_in):
    with app.app_context():
        u = _world(world)
        db.session.commit()
        email = person(u.head).email
    body = text(signed_in(email).get("/heads/units"))
    assert "目標に対する進捗" in body
