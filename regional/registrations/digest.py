"""The coordinators' daily digest: what waits for them, mailed once a day (cron).

``flask --app wsgi send-digest`` mails each coordinator (and each regional administrator,
for the coordinating member) the work that waits in their member, as their home page
lists it (:func:`regional.registrations.worklists.coordinator_work`): requests to
approve, account applications, ended sessions whose attendance is not recorded. One
mail per person, and only when something waits; nobody who turned it off (their mail
settings) and nobody who cannot sign in. Run it once a day (each run mails again).
"""

from __future__ import annotations

import click

from regional.cronlock import one_run_at_a_time
from regional.extensions import db
from regional.mail.services import deliver_outbox, queue_mail
from regional.people.coordinators import mailed_coordinators_stmt
from regional.people.models import User
from regional.registrations.worklists import CoordinatorWork, coordinator_work
from tenants import all_tenants
from tenants.scoping import acting_as


def waiting_work(coordinator: User) -> CoordinatorWork | None:
    """What waits for the person in their own member, or None when nothing does."""
    with acting_as(db.session, coordinator.municipality_id):
        work = coordinator_work(coordinator, coordinator.municipality_id)
    if work.pending_total or work.signups_total or work.to_record_total:
        return work
    return None


def queue_digests() -> int:
    """Queue one digest per coordinator with waiting work; how many were queued."""
    with all_tenants(db.session):  # cron: every member's coordinators
        coordinators = list(db.session.scalars(mailed_coordinators_stmt()))
    queued = 0
    for coordinator in coordinators:
        work = waiting_work(coordinator)
        if work is None:
            continue
        queue_mail(
            coordinator.email,
            "coordinator_digest",
            locale=coordinator.locale or "ja",
            municipality_id=coordinator.municipality_id,
            coordinator=coordinator,
            municipality=coordinator.municipality,
            work=work,
        )
        queued += 1
    db.session.commit()
    return queued


@click.command("send-digest")
@one_run_at_a_time("send-digest")
def send_digest() -> None:
    """Mail each coordinator what waits for them (cron, once a day)."""
    queued = queue_digests()
    sent = deliver_outbox()
    click.echo(f"queued {queued} digest(s); sent {sent} message(s)")
