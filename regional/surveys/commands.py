"""Cron: ``flask --app wsgi send-survey-reminders --days N`` reminds, once, everyone asked
for a survey at least N days ago who has not answered (idempotent: ``reminded_at``);
``flask --app wsgi send-survey-followups`` asks, once, the participants of sessions whose
3-month follow-up is due (idempotent: one row per person and session)."""

from __future__ import annotations

import click

from regional.cronlock import one_run_at_a_time
from regional.extensions import db
from regional.mail.services import deliver_outbox
from regional.surveys.followups import queue_followups
from regional.surveys.services import queue_survey_reminders


@click.command("send-survey-reminders")
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(0, 60),
    help="Remind people asked at least this many days ago.",
)
@one_run_at_a_time("send-survey-reminders")
def send_survey_reminders(days: int) -> None:
    """Queue and send survey reminders (for cron)."""
    queued = queue_survey_reminders(days)
    db.session.commit()
    sent = deliver_outbox()
    click.echo(f"survey reminders queued: {queued}; sent: {sent}")


@click.command("send-survey-followups")
@one_run_at_a_time("send-survey-followups")
def send_survey_followups() -> None:
    """Ask the 3-month follow-up of sessions whose day has come (for cron, once a day)."""
    asked = queue_followups()
    db.session.commit()
    sent = deliver_outbox()
    click.echo(f"survey follow-ups asked: {asked}; sent: {sent}")
