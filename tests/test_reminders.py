"""Cron: reminder mail before sessions (once per person), and releasing reserved seats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from regional import seats
from regional.extensions import db
from regional.fiscal import now_utc
from regional.main.helpers import local_day
from regional.registrations import actions
from regional.seats.models import RegistrationStatus as RS
from tests import factories
from tests.fixtures_registrations import ja_subject, person, register, registration


@pytest.fixture
def make(app):
    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str):
        # ``flask`` pushes an app context for app.cli commands; the bare runner does not.
        with app.app_context():
            result = runner.invoke(args=list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_reminders_go_once_to_enrolled_people_of_sessions_soon(cli, world, make, mailbox, app):
    def setup():
        soon = factories.make_session(
            capacity=2, starts_in=timedelta(days=2), closes_in=timedelta(days=1)
        )
        later = factories.make_session(starts_in=timedelta(days=10))
        register(soon.id, world.employee_a)
        register(soon.id, world.employee_b)
        register(soon.id, world.employee_a2)  # waiting: no reminder
        register(later.id, world.employee_a2)  # too far ahead
        return soon.starts_at

    starts = make(setup)
    mailbox.clear()
    out = cli("send-reminders", "--days", "3")
    assert "reminders queued: 2" in out
    with app.app_context(), force_locale("ja"):
        subject = ja_subject(
            "Reminder: %(title)s on %(day)s", title="テスト研修", day=local_day(starts)
        )
    reminded = {m["To"] for m in mailbox.messages if m["Subject"] == subject}
    assert reminded == {world.emails["employee_a"], world.emails["employee_b"]}
    body = mailbox.body(mailbox.to(world.emails["employee_b"])[-1])
    assert "玉野 次郎" in body
    assert "/records/my-training" in body
    mailbox.clear()
    assert "reminders queued: 0" in cli("send-reminders", "--days", "3")
    assert mailbox.messages == []


def test_cancelled_sessions_are_not_reminded(cli, world, make, mailbox):
    def setup():
        ts = factories.make_session(starts_in=timedelta(days=1), closes_in=timedelta(hours=12))
        register(ts.id, world.employee_a)
        actions.cancel_session(ts.id, "", person(world.admin))

    make(setup)
    assert "reminders queued: 0" in cli("send-reminders", "--days", "3")


def test_days_must_be_sensible(app):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["send-reminders", "--days", "-1"])
    assert result.exit_code != 0
    assert "Invalid value" in result.output


def test_release_seats_command_promotes_the_line(cli, world, make, app, mailbox):
    def setup():
        ts = factories.make_session(capacity=1)
        alloc = seats.set_allocation(ts.id, world.muni_a, 1, now_utc() + timedelta(days=1))
        waiting = register(ts.id, world.employee_b)
        alloc.release_at = now_utc() - timedelta(minutes=1)
        return waiting.id

    waiting = make(setup)
    mailbox.clear()
    out = cli("release-seats")
    assert "promoted from waiting lists: 1" in out
    with app.app_context():
        assert registration(waiting).status == RS.ENROLLED
    with app.app_context():
        subject = ja_subject("A seat became free for you: %(title)s", title="テスト研修")
    assert subject in [m["Subject"] for m in mailbox.to(world.emails["employee_b"])]
