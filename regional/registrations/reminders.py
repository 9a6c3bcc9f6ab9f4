"""Cron commands: reminder mail before sessions, and releasing reserved seats.

``flask --app wsgi send-reminders --days N`` queues one reminder per enrolled
registration of a session starting within N days that has not been reminded
yet, across every municipality, then delivers the outbox. Run it as often as
you like: ``reminded_at`` makes it idempotent, and on PostgreSQL two runs at
once skip each other's rows (``FOR UPDATE SKIP LOCKED``).

``flask --app wsgi release-seats`` returns reserved seats whose release time
has passed to the common pool and promotes from the waiting lists. Every write
to a session does this lazily too, so the command only matters for sessions
nobody touches; ``send-reminders`` runs it first as well.

Each command runs once at a time across machines (regional.cronlock): a second run
while one holds the lock says so and does nothing.
"""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from regional import seats
from regional.cronlock import one_run_at_a_time
from regional.extensions import db
from regional.fiscal import now_utc
from regional.mail.services import deliver_outbox, queue_mail
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import SessionStatus, TrainingSession
from tenants import all_tenants


def release_due_seats() -> int:
    """Release due reservations everywhere, one session per transaction; how many promoted."""
    promoted = 0
    for session_id in seats.sessions_with_due_reservations():
        promoted += len(seats.release_seats(session_id))
        db.session.commit()
    return promoted


def queue_reminders(days: int) -> int:
    """Queue reminders for enrolled people of sessions starting within ``days``; how many."""
    now = now_utc()
    with all_tenants(db.session):  # cron: every municipality's registrations, each mailed alone
        regs = db.session.scalars(
            select(Registration)
            .join(TrainingSession, TrainingSession.id == Registration.session_id)
            .where(
                TrainingSession.status == SessionStatus.SCHEDULED,
                TrainingSession.starts_at > now,
                TrainingSession.starts_at <= now + timedelta(days=days),
                Registration.status == RegistrationStatus.ENROLLED,
                Registration.reminded_at.is_(None),
            )
            .order_by(TrainingSession.starts_at, Registration.id)
            .with_for_update(of=Registration, skip_locked=True)
        ).all()
        for reg in regs:
            employee = reg.employee
            queue_mail(
                employee.email,
                "reminder",
                locale=employee.locale or "ja",
                municipality_id=reg.municipality_id,
                registration=reg,
                training_session=reg.session,
                employee=employee,
            )
            reg.reminded_at = now
        db.session.flush()
    return len(regs)


@click.command("send-reminders")
@click.option(
    "--days",
    default=3,
    show_default=True,
    type=click.IntRange(0, 60),
    help="Remind of sessions starting within this many days.",
)
@one_run_at_a_time("send-reminders")
def send_reminders(days: int) -> None:
    """Queue and send reminders (for cron)."""
    promoted = release_due_seats()
    queued = queue_reminders(days)
    db.session.commit()
    sent = deliver_outbox()
    click.echo(f"reminders queued: {queued}; promoted from waiting lists: {promoted}; sent: {sent}")


@click.command("release-seats")
@one_run_at_a_time("release-seats")
def release_seats() -> None:
    """Return reserved seats past their release time to the pool (for cron)."""
    promoted = release_due_seats()
    sent = deliver_outbox()
    click.echo(f"promoted from waiting lists: {promoted}; sent: {sent}")
