"""The policy's catalogue loads once, completely, and never overwrites what administrators did."""

from __future__ import annotations

from sqlalchemy import select

from regional.catalogue.models import Program, ProgramRevision, SkillArea
from regional.catalogue.services import load_policy_catalogue, set_program_active, update_program
from regional.extensions import db
from tests.fixtures_sessions import count

POLICY_AREAS = {
    "advanced_ict",
    "cloud",
    "security_management",
    "specification",
    "project_management",
    "procurement",
    "system_operations",
    "literacy_required",
    "literacy_elective",
    "information_security",
    "mindset",
}


def _program(code: str) -> Program:
    return db.session.scalar(select(Program).where(Program.code == code))


def _values(p: Program, **changes) -> dict:
    values = {
        "title_ja": p.title_ja,
        "title_en": p.title_en,
        "description_ja": p.description_ja,
        "description_en": p.description_en,
        "skill_area_id": p.skill_area_id,
        "delivery": p.delivery.value,
        "hours": p.hours,
        "eligible_job_categories": p.eligible_job_categories,
        "prerequisite_tracks": p.prerequisite_tracks,
        "prerequisite_system_duty": p.prerequisite_system_duty,
    }
    values.update(changes)
    return values


def test_policy_catalogue_has_twenty_programmes_in_the_eleven_skill_areas(ctx):
    areas = {a.key: a for a in db.session.scalars(select(SkillArea))}
    assert set(areas) == POLICY_AREAS
    programs = list(db.session.scalars(select(Program)))
    assert len(programs) == 20
    assert {p.skill_area.key for p in programs} == POLICY_AREAS
    for p in programs:
        # Tier and track always follow the area, as in the policy's table.
        assert (p.tier, p.track) == (p.skill_area.tier, p.skill_area.track)
        assert p.revision == 1 and p.active


def test_each_starter_programme_has_its_first_revision_recorded(ctx):
    revisions = list(db.session.scalars(select(ProgramRevision)))
    assert len(revisions) == 20
    assert {r.revision for r in revisions} == {1}


def test_pm_programmes_need_earlier_training_or_system_duty(ctx):
    pm = _program("CORE-PM-101")
    assert set(pm.prerequisite_tracks) == {"digital_tech", "project_management"}
    assert pm.prerequisite_system_duty is True
    literacy = _program("GEN-LIT-101")
    assert literacy.eligible_job_categories == ["administrative"]


def test_loading_again_adds_nothing(ctx):
    before = (count(SkillArea), count(Program), count(ProgramRevision))
    assert load_policy_catalogue() == (0, 0)
    assert (count(SkillArea), count(Program), count(ProgramRevision)) == before


def test_loading_again_keeps_a_programme_an_administrator_revised(ctx, world):
    p = _program("GEN-SEC-101")
    update_program(p, _values(p, title_en="Security basics, 2026 edition"), world.admin)
    load_policy_catalogue()
    db.session.expire_all()
    p = _program("GEN-SEC-101")
    assert p.title_en == "Security basics, 2026 edition"
    assert p.revision == 2
    assert count(Program) == 20


def test_loading_again_does_not_bring_back_a_retired_programme(ctx, world):
    p = _program("GEN-MIND-101")
    set_program_active(p, False, world.admin)
    load_policy_catalogue()
    db.session.expire_all()
    assert _program("GEN-MIND-101").active is False
    assert count(Program) == 20


def test_loader_adds_a_programme_missing_from_the_database(ctx, tmp_path):
    data = tmp_path / "extra.toml"
    data.write_text(
        '[[skill_area]]\nkey = "cloud"\ntier = "core"\ntrack = "digital_tech"\n'
        'name_ja = "クラウド"\nname_en = "Cloud"\n\n'
        '[[program]]\ncode = "CORE-DT-999"\narea = "cloud"\ntitle_ja = "追加"\n'
        'title_en = "Extra"\ndelivery = "classroom"\nhours = 1.5\n',
        encoding="utf-8",
    )
    assert load_policy_catalogue(data) == (0, 1)
    assert _program("CORE-DT-999").hours == 1.5
    assert load_policy_catalogue(data) == (0, 0)


def test_seed_region_command_is_safe_to_run_twice(app, ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-region"])
    assert result.exit_code == 0, result.output
    assert "programmes: 0 added" in result.output
    assert "skill areas: 0 added" in result.output
