"""Reminder mail for sessions in the coming days (``flask --app wsgi send-reminders``)."""

import click


@click.command("send-reminders")
@click.option(
    "--days",
    default=3,
    show_default=True,
    help="Remind of sessions starting within this many days.",
)
def send_reminders(days: int) -> None:
    """Queue and send reminders (for cron)."""
    raise click.ClickException("not yet available")
