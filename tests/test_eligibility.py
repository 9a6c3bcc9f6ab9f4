""" "Can I take this?": every rule of a programme gives the person a reason in words."""

from __future__ import annotations

from datetime import date

from regional.attendance.models import Completion, CompletionSource
from regional.catalogue.services import set_program_active
from regional.extensions import db
from regional.people.models import JobCategory
from regional.registrations.eligibility import eligibility_of
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_sessions import person


def complete(employee_id: int, program) -> Completion:
    """A completion recorded directly (as an e-learning import would)."""
    employee = person(employee_id)
    with acting_as(db.session, employee.municipality_id):
        snap = program.snapshot()
        c = Completion(
            employee_id=employee.id,
            program_id=program.id,
            program_revision=program.revision,
            program_code=snap["code"],
            title_ja=snap["title_ja"],
            title_en=snap["title_en"],
            tier=snap["tier"],
            track=snap["track"],
            skill_area_key=snap["skill_area"],
            hours=program.hours,
            completed_on=date(2025, 6, 1),
            fiscal_year=2025,
            source=CompletionSource.ELEARNING_IMPORT,
        )
        db.session.add(c)
        db.session.flush()
    return c


def pm_programme():
    return factories.make_program(
        area="project_management",
        prerequisite_tracks=["digital_tech", "project_management"],
        prerequisite_system_duty=True,
    )


def test_programme_without_rules_is_open_to_all_staff(ctx, world):
    result = eligibility_of(factories.make_program(), person(world.employee_a))
    assert result.eligible
    assert [met for met, _text in result.reasons] == [True]
    assert result.refusals == []


def test_literacy_programme_refuses_other_job_categories_with_the_reason(ctx, world):
    program = factories.make_program(
        area="literacy_required", eligible_job_categories=["administrative"]
    )
    nurse = factories.make_user(world.muni_a, job_category=JobCategory.MEDICAL)
    refused = eligibility_of(program, nurse)
    assert not refused.eligible
    assert len(refused.refusals) == 1
    clerk = eligibility_of(program, person(world.employee_a))
    assert clerk.eligible
    assert clerk.reasons[0][0] is True


def test_pm_programme_refuses_someone_without_earlier_training_or_system_duty(ctx, world):
    result = eligibility_of(pm_programme(), person(world.employee_a))
    assert not result.eligible
    assert result.refusals


def test_system_duty_admits_to_pm_programme_without_earlier_training(ctx, world):
    builder = factories.make_user(world.muni_a, system_duty=True)
    result = eligibility_of(pm_programme(), builder)
    assert result.eligible
    assert [met for met, _text in result.reasons] == [True]


def test_completed_digital_technology_training_admits_to_pm_programme(ctx, world):
    complete(world.employee_a, factories.make_program(area="cloud"))
    result = eligibility_of(pm_programme(), person(world.employee_a))
    assert result.eligible


def test_completion_in_an_unrelated_track_does_not_admit_to_pm_programme(ctx, world):
    complete(world.employee_a, factories.make_program(area="information_security"))
    assert not eligibility_of(pm_programme(), person(world.employee_a)).eligible


def test_completion_of_another_person_does_not_count(ctx, world):
    complete(world.employee_a2, factories.make_program(area="cloud"))
    assert not eligibility_of(pm_programme(), person(world.employee_a)).eligible


def test_own_completions_count_while_an_administrator_acts_in_another_municipality(ctx, world):
    complete(world.employee_a, factories.make_program(area="cloud"))
    with acting_as(db.session, world.muni_b):
        assert eligibility_of(pm_programme(), person(world.employee_a)).eligible


def test_retired_programme_refuses_everyone(ctx, world):
    program = factories.make_program()
    set_program_active(program, False, world.admin)
    result = eligibility_of(program, person(world.employee_a))
    assert not result.eligible
    assert len(result.refusals) == 1


def test_either_track_is_named_with_the_japanese_comma(ctx):
    """「次のいずれかの分野…：デジタル技術、プロジェクト管理」: either track, listed as Japanese lists are."""
    from flask_babel import force_locale

    from regional.catalogue.eligibility import prerequisite_text

    program = factories.make_program("ELIG-2", title_ja="応用", title_en="Applied")
    program.prerequisite_tracks = ["digital_tech", "project_management"]
    with force_locale("ja"):
        text = prerequisite_text(program)
    assert "いずれか" in text and "、" in text.split("：", 1)[1] and ", " not in text
    with force_locale("en"):
        assert ", " in prerequisite_text(program)
