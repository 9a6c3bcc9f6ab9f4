"""`flask seed-demo`: realistic data for all 13 members, and working demo sign-ins."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from regional import demo
from regional.attendance.models import Completion
from regional.demo import DEMO_PASSWORD, MIN_STAFF, TOTAL_STAFF, staff_sizes
from regional.extensions import db
from regional.mail.models import OutboundMail
from regional.people.models import AccountStatus, Role, User
from regional.people.units import find_unit_by_path
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import SeatAllocation, TrainingSession
from tenants.models import Municipality, OrgUnit
from tenants.scoping import acting_as, all_tenants


def _seed(app) -> str:
    """Run the command inside the test's transaction; its output."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


def _count(stmt) -> int:
    with all_tenants(db.session):
        return db.session.scalar(stmt)


def test_seed_demo_builds_a_realistic_region(app):
    """One seeding (it takes seconds), every promise checked on it."""
    output = _seed(app)
    with app.app_context():
        _every_member_gets_people_sized_by_population()
        _org_trees_have_departments_divisions_sections_and_equivalents()
        _names_keep_their_variant_characters()
        _accounts_have_realistic_shapes()
        _sessions_and_history_are_consistent()
        _past_years_have_sessions_with_attendance()
        _every_member_has_targets_progress_and_a_trend()
        # Registering queued mail to the demo addresses; none of it is left to send.
        assert (
            db.session.scalar(
                select(func.count(OutboundMail.id)).execution_options(all_tenants=True)
            )
            == 0
        )
    assert DEMO_PASSWORD in output
    for email in (
        "admin@city.okayama.lg.jp",
        "coordinator@city.tsuyama.lg.jp",
        "employee@town.kumenan.lg.jp",
    ):
        assert email in output


def test_demo_sign_ins_work_and_a_second_run_adds_nothing(app, client, monkeypatch):
    monkeypatch.setattr(demo, "TOTAL_STAFF", 300)  # a smaller region: this test is about sign-in
    _seed(app)
    resp = client.login("coordinator@city.tsuyama.lg.jp", DEMO_PASSWORD)
    assert resp.status_code == 302
    page = client.get("/people/pending").get_data(as_text=True)
    assert "mail.example.jp" in page  # sign-ups from private addresses wait for a decision
    employee = app.test_client()
    assert employee.login("employee@town.wake.lg.jp", DEMO_PASSWORD).status_code == 302
    with app.app_context():
        before = _count(select(func.count(User.id)))
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert "already" in again.output
    with app.app_context():
        assert _count(select(func.count(User.id))) == before


def _every_member_gets_people_sized_by_population() -> None:
    members = db.session.scalars(Municipality.ordered()).all()
    sizes = staff_sizes(members)
    with all_tenants(db.session):
        people = dict(
            db.session.execute(
                select(User.municipality_id, func.count()).group_by(User.municipality_id)
            ).all()
        )
    assert len(members) == 13
    for m in members:
        assert people.get(m.id, 0) >= min(sizes[m.code], MIN_STAFF), m.name_en
    by_code = {m.code: m.id for m in members}
    assert people[by_code["331007"]] > 10 * people[by_code["336637"]]  # Okayama vs Kumenan
    assert TOTAL_STAFF * 0.9 < sum(people.values()) < TOTAL_STAFF * 1.2


def _org_trees_have_departments_divisions_sections_and_equivalents() -> None:
    okayama = db.session.scalar(Municipality.by_code("331007"))
    wake = db.session.scalar(Municipality.by_code("333468"))
    with acting_as(db.session, okayama.id):
        assert find_unit_by_path("総務局/デジタル推進課/企画係") is not None
        assert db.session.scalar(select(func.count(OrgUnit.id)).where(OrgUnit.equivalent))
    with acting_as(db.session, wake.id):
        assert find_unit_by_path("総務課/情報政策係") is not None  # towns have no 部


def _names_keep_their_variant_characters() -> None:
    with all_tenants(db.session):
        names = set(db.session.scalars(select(User.name)))
    for variant in ("髙", "𠮷", "﨑"):
        assert any(variant in n for n in names), variant


def _accounts_have_realistic_shapes() -> None:
    with all_tenants(db.session):
        by_status = dict(
            db.session.execute(select(User.status, func.count()).group_by(User.status)).all()
        )
    assert by_status[AccountStatus.PENDING_APPROVAL] >= 13 * 2
    assert by_status[AccountStatus.ACTIVE] > 1500
    assert _count(select(func.count(User.id)).where(User.system_duty.is_(True))) > 10
    assert _count(select(func.count(User.id)).where(User.role == Role.COORDINATOR)) >= 13
    dupes = _count(
        select(func.count()).select_from(
            select(User.municipality_id, User.employee_number)
            .where(User.employee_number.is_not(None))
            .group_by(User.municipality_id, User.employee_number)
            .having(func.count() > 1)
            .subquery()
        )
    )
    assert dupes == 0


def _sessions_and_history_are_consistent() -> None:
    demo_sessions = db.session.scalars(
        select(TrainingSession).where(TrainingSession.notes == "デモデータ")
    ).all()
    assert len(demo_sessions) >= 7
    with all_tenants(db.session):
        for ts in demo_sessions:
            held = db.session.scalar(
                select(func.count(Registration.id)).where(
                    Registration.session_id == ts.id,
                    Registration.status.in_(
                        (RegistrationStatus.ENROLLED, RegistrationStatus.PENDING)
                    ),
                )
            )
            assert ts.seats_taken == held  # counters agree with the rows
        statuses = set(db.session.scalars(select(Registration.status)))
    assert {
        RegistrationStatus.ENROLLED,
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.PENDING,
    } <= statuses
    assert any(s.host_municipality_id is not None for s in demo_sessions)
    assert db.session.scalar(select(func.count(SeatAllocation.id))) >= 1
    assert _count(select(func.count(Completion.id))) > 500
    attended = select(func.count(Completion.id)).where(Completion.session_id.is_not(None))
    assert _count(attended) > 20


def _past_years_have_sessions_with_attendance() -> None:
    """FY2024 and FY2025 (before this platform) entered after the fact, as the office would."""
    from regional.fiscal import fiscal_year_of

    with all_tenants(db.session):
        sessions = db.session.scalars(
            select(TrainingSession).where(TrainingSession.notes == "デモデータ")
        ).all()
        years = {fiscal_year_of(ts.starts_at) for ts in sessions}
        assert {2024, 2025} <= years
        for fy in (2024, 2025):
            ids = [ts.id for ts in sessions if fiscal_year_of(ts.starts_at) == fy]
            marked = db.session.scalar(
                select(func.count(Registration.id)).where(
                    Registration.session_id.in_(ids), Registration.attended.is_not(None)
                )
            )
            assert marked > 50, fy
            done = db.session.scalar(
                select(func.count(Completion.id)).where(Completion.session_id.in_(ids))
            )
            assert done > 40, fy
            assert done < marked  # some did not come


def _every_member_has_targets_progress_and_a_trend() -> None:
    from datetime import date

    from regional.targets import tallies
    from regional.targets.models import Target
    from regional.targets.progress import region_progress
    from tests import oracle

    members = db.session.scalars(Municipality.ordered()).all()
    with all_tenants(db.session):
        keys = {}
        for mid, key, number in db.session.execute(
            select(Target.municipality_id, Target.key, Target.target)
        ):
            keys.setdefault(mid, {})[key] = number
    okayama = next(m for m in members if m.coordinating)
    tsuyama = next(m for m in members if m.code == "332038")
    for m in members:
        assert len(keys.get(m.id, {})) == 6, m.name_en  # the policy's six
    # Scaled by population from Okayama City's own numbers.
    share = tsuyama.population / okayama.population
    assert keys[tsuyama.id]["security"] == round(keys[okayama.id]["security"] * share)
    rp = region_progress(db.session, 2026, today=date(2026, 11, 29))
    for mp in rp.members:
        by_key = {t.key: t for t in mp.targets}
        assert by_key["security"].achieved > 0, mp.name_en
        trend = dict(by_key["security"].by_year)
        assert trend.get(2024, 0) > 0 and trend.get(2025, 0) > 0, mp.name_en
        assert mp.coverage.divisions_total > 0, mp.name_en
    reached = {
        k: sum(t.achieved for t in rp.totals if t.key == k) for k in ("core_digital", "core_pm")
    }
    assert reached["core_digital"] > 10 and reached["core_pm"] > 10, reached
    tsuyama_mp = next(mp for mp in rp.members if mp.code == "332038")
    assert {t.key for t in tsuyama_mp.targets if t.achieved > 0} >= {
        "core_digital",
        "literacy_required",
        "security",
    }
    assert tsuyama_mp.coverage.divisions_covered > 0
    # The stored figures agree with the records after the whole seeding.
    conn = db.session.connection()
    want_counts, want_people, want_annual = oracle.expected(conn)
    got_counts, got_people, got_annual = tallies.stored(conn)
    assert got_people == want_people
    assert got_annual == want_annual
    assert got_counts == {k: v for k, v in want_counts.items() if v}


def test_every_count_shown_twice_agrees_for_every_member(app, monkeypatch):
    """The home page's required-training card and the drill-down's "not yet" list count
    with one definition: for every member of the demo, each number is the same in both."""
    import re

    from regional.targets.models import Measure
    from tests.conftest import Client

    monkeypatch.setattr(demo, "TOTAL_STAFF", 600)
    output = _seed(app)
    coordinators = re.findall(r"coordinator\s+(\d{6})\s+\S+\s+(\S+@\S+)", output)
    assert len(coordinators) == 13, output
    with app.app_context():
        required = [m.key for m in db.session.scalars(Measure.ordered()) if m.required]
    assert required == ["literacy_required", "security"]
    app.test_client_class = Client
    for code, email in coordinators:
        c = app.test_client()
        assert c.login(email, DEMO_PASSWORD).status_code == 302
        home = c.get("/").get_data(as_text=True)
        card = {
            key: int(n)
            for key, n in re.findall(
                r'data-measure="(\w+)".*?data-testid="required-count">(\d+)', home
            )
        }
        assert set(card) == set(required), code
        for key in required:
            drill = c.get(f"/progress/m/{code}/t/{key}?show=not_yet").get_data(as_text=True)
            total = re.search(r'data-testid="drill-total">([\d,]+)<', drill).group(1)
            assert int(total.replace(",", "")) == card[key], (code, key)
        everyone = int(re.search(r'data-testid="required-total">(\d+)<', home).group(1))
        assert max(card.values()) <= everyone <= sum(card.values()), code


# -- the newcomer's first run (README: make demo) -----------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _demo_commands(*args: str) -> list[str]:
    """The commands `make demo` would run (make -n runs nothing), without PUBLIC_BASE_URL set."""
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    out = subprocess.run(
        ["make", "-n", "demo", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if "--app wsgi" in line]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_links_in_mail_follow_the_port_the_demo_serves_on():
    served = _demo_commands("PORT=5123")
    assert served and all("PUBLIC_BASE_URL=http://127.0.0.1:5123 " in line for line in served)
    assert served[-1].endswith("run --host 127.0.0.1 --port 5123")
    assert all("PUBLIC_BASE_URL=http://127.0.0.1:5000 " in line for line in _demo_commands())


def test_the_demo_sets_up_without_root_and_without_the_certificate_font():
    """scripts/ensure-system --runtime (make demo's first step) notes the missing font, goes on."""
    command = [
        "bash",
        "-s",
        "--",
        "--runtime",
    ]  # the script on stdin: nobody may not read the checkout
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("root without runuser: cannot try it as an ordinary user")
        command = ["runuser", "-u", "nobody", "--", *command]
    env = {**os.environ, "CERTIFICATE_FONT": "/nonexistent/ipamjm.ttf"}
    script = (ROOT / "scripts" / "ensure-system").read_text(encoding="utf-8")
    done = subprocess.run(
        command, input=script, env=env, cwd="/", capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "sudo apt-get install fonts-ipamj-mincho" in done.stderr
